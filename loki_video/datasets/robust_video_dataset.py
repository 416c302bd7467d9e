"""A VideoDataset that survives missing, corrupt or too short videos.

Training: a sample whose pipeline fails is replaced by the next readable
index (``idx + 1``, ``idx + 2``, ... wrapping around), so the choice is
deterministic. Each skipped video is logged once as a warning with its path and
reason (in the main process; from DataLoader workers the hook reports it), and
recorded in the returned sample's metainfo under
``skipped_bad_samples`` (a list of ``{'filename', 'reason'}``) for
:class:`~loki_video.engine.hooks.bad_sample_hook.BadSampleReportHook`.

Test mode: nothing is replaced, since every index must be evaluated once. A
failing index yields a placeholder with the same tensor shapes as a real
sample (a readable sample run through the pipeline with its inputs zeroed),
its own label, and metainfo ``invalid_sample = {'filename', 'reason'}`` so
:class:`~loki_video.evaluation.metrics.valid_acc_metric.ValidAccMetric` can exclude it.

Every error of the pipeline on a video is that video's: it is skipped (train) or flagged (test). A
misconfigured pipeline fails on every video: ``max_refetch + 1`` consecutive failures stop the run
with the last error and its traceback.

Crashing and hanging decoders: with ``decode_timeout`` (seconds, the default 30) the pipeline runs in
a child process of the loading one (:class:`~loki_video.datasets.pipeline_guard.PipelineGuard`).
A sample whose decoding runs past the timeout, or whose process is killed by SIGKILL from outside
(the OOM killer), is tried once more: a stalled file system or machine is not a bad file. A
crash, or a second timeout or kill, counts as a bad video like a corrupt one, with the reason
``decoder crashed: ...`` or ``decoder hung: ...``, and such records carry ``remember=True``:
BadSampleReportHook writes them to the work dir, and a run resumed or restarted there gives them to
:meth:`RobustVideoDataset.skip_known_bad`, so they are skipped at once. ``decode_timeout=None`` runs
the pipeline in the loading process itself, as does a platform without ``os.fork`` (Windows; the
dataset says so once).

Frame-exact decoding: ``exact_decode_list`` names a list of videos whose indexed reads are
wrong (``tools/data/check_videos.py --verify-seek`` writes it, ``<list>.exact.txt``); the
pipeline's decode step (:class:`~loki_video.datasets.transforms.VideoDecode`; mmaction2's
``DecordInit`` and ``DecordDecode`` are replaced by ``VideoInit(backend='decord')`` and it)
reads those videos in order from their first frame and the others by index.

Config::

    dataset=dict(type='RobustVideoDataset', ann_file='train_list.txt',
                 data_prefix=dict(video='data/demo'), pipeline=[...],
                 min_frames=128, exact_decode_list='train_list.exact.txt', decode_timeout=30)
"""
import copy
import os.path as osp
from logging import WARNING
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmaction.datasets import VideoDataset
from mmaction.registry import DATASETS
from mmengine.dataset import Compose
from mmengine.logging import print_log

from loki_video.user_error import UserFileError, UserValueError

from . import pipeline_guard
from .data_paths import check_paths_exist
from .pipeline_guard import DecoderCrashed, DecoderKilled, DecodeTimeout, PipelineGuard
from .video_reader import decode_failure

SKIPPED_KEY = 'skipped_bad_samples'
INVALID_KEY = 'invalid_sample'

# Failures of the guard's child that a busy or stalled machine causes as well as a bad file: tried once more.
RETRIED_FAILURES = (DecodeTimeout, DecoderKilled)


class VideoTooShortError(RuntimeError):
    """A video has fewer frames than the dataset's ``min_frames``."""


class KnownBadVideo(RuntimeError):
    """A video an earlier run of the work dir found to crash or hang its decoder."""


class FrameCheckedCompose(Compose):
    """mmengine's ``Compose`` that raises :class:`VideoTooShortError` as soon as a transform reports
    ``total_frames`` below ``min_frames`` (before a too short video is sampled and decoded)."""

    def __init__(self, transforms: Sequence[Callable], min_frames: int) -> None:
        super().__init__(transforms)
        self.min_frames = min_frames

    def __call__(self, data: dict) -> Optional[dict]:
        for transform in self.transforms:
            data = transform(data)
            if data is None:
                return None
            total = data.get('total_frames', self.min_frames)
            if total < self.min_frames:
                raise VideoTooShortError(f'{total} frames < min_frames {self.min_frames}')
        return data


def exact_decode_step(transform: Union[dict, Callable]) -> Union[dict, Callable]:
    """``transform`` (a config dict or a built transform), with mmaction2's ``DecordInit`` and
    ``DecordDecode`` replaced by ``VideoInit(backend='decord')`` and ``VideoDecode``, which read the
    listed videos in order."""
    kind = transform.get('type') if isinstance(transform, dict) else None
    if kind == 'DecordInit':
        if transform.get('io_backend', 'disk') != 'disk':
            raise UserValueError("exact_decode_list needs VideoInit instead of DecordInit(io_backend="
                                 f"{transform['io_backend']!r}): VideoInit(backend='decord', backend_args=...)")
        return dict(type='VideoInit', backend='decord', num_threads=transform.get('num_threads', 1))
    return dict(type='VideoDecode') if kind == 'DecordDecode' else transform


def _is_local(path: str) -> bool:
    return '://' not in path


def _zeros_like(inputs):
    """Zero every tensor/array in a (nested) dict, list or tuple."""
    if isinstance(inputs, torch.Tensor):
        return torch.zeros_like(inputs)
    if isinstance(inputs, np.ndarray):
        return np.zeros_like(inputs)
    if isinstance(inputs, dict):
        return {key: _zeros_like(value) for key, value in inputs.items()}
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(_zeros_like(value) for value in inputs)
    return inputs


def _set_meta(data: dict, key: str, value) -> None:
    """Store ``value`` in the packed data sample's metainfo (or the dict)."""
    data_sample = data.get('data_samples')
    if hasattr(data_sample, 'set_metainfo'):
        data_sample.set_metainfo({key: value})
    else:
        data[key] = value


@DATASETS.register_module()
class RobustVideoDataset(VideoDataset):
    """VideoDataset that replaces (train) or flags (test) unreadable videos.

    Args:
        ann_file (str): Annotation list, ``<path> <label>`` per line.
        pipeline (List[Union[dict, Callable]]): Data transforms, as for ``VideoDataset``.
        min_frames (int): Videos with fewer frames (``total_frames`` set by the
            init transform, e.g. ``DecordInit``) count as bad. 0 disables
            the check. Use ``clip_len * frame_interval`` of ``SampleFrames``. Defaults to 0.
        exact_decode_list (str, optional): a list (``<path> ...`` lines, paths as in
            ``ann_file``) of videos to decode sequentially; see the module
            docstring. Relative to ``data_root`` like ``ann_file``. Defaults to None.
        decode_timeout (float, optional): seconds a sample's pipeline may take, run in a child
            process that a crashing decoder may kill (module docstring); None runs it in the
            loading process. Defaults to 30.
        **kwargs (dict): Other ``VideoDataset`` arguments (``data_prefix``,
            ``test_mode``, ``max_refetch``, ...). ``max_refetch`` bounds how
            many following indices a training sample may try.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[dict, Callable]],
                 min_frames: int = 0,
                 exact_decode_list: Optional[str] = None,
                 decode_timeout: Optional[float] = 30.,
                 **kwargs: Any) -> None:
        if decode_timeout is not None and decode_timeout <= 0:
            raise UserValueError(f'decode_timeout must be a number of seconds > 0, or None, not {decode_timeout}')
        if decode_timeout and not pipeline_guard.AVAILABLE:
            print_log(f'{type(self).__name__}: decode_timeout is ignored here (no os.fork on this platform): '
                      'videos are decoded in the loading process, and a crashing decoder stops the run',
                      logger='current', level=WARNING)
            decode_timeout = None
        self.guard = PipelineGuard(decode_timeout) if decode_timeout else None
        self._own_pipeline: Optional[Callable] = None
        self.known_bad: Dict[str, str] = {}
        self.min_frames = min_frames
        self._placeholder: Optional[dict] = None
        self._warned = set()
        self.exact_decode_list = exact_decode_list
        self._exact = frozenset()
        if exact_decode_list:
            pipeline = [exact_decode_step(t) for t in pipeline]
        super().__init__(ann_file, pipeline, **kwargs)
        # The dataset's pipeline is a Compose that tools may replace (mmaction2's browse_dataset.py
        # wraps its transforms to record every step): samples go through whatever self.pipeline is.
        self.pipeline = self._own_pipeline = FrameCheckedCompose(self.pipeline.transforms, min_frames)
        if exact_decode_list:
            self._exact = self._read_exact_list()

    def _read_exact_list(self) -> frozenset:
        """Filenames (as ``get_data_info`` gives them) of the ``exact_decode_list`` videos."""
        path = self.exact_decode_list
        if self.data_root and not osp.isabs(path):
            path = osp.join(self.data_root, path)
        if not osp.isfile(path):
            raise UserFileError(f'exact_decode_list: {path} does not exist; write it with '
                                f'tools/data/check_videos.py LIST ROOT --verify-seek')
        video_root = self.data_prefix.get('video') or ''
        with open(path) as lines:
            return frozenset(osp.join(video_root, line.split(self.delimiter)[0]) for line in lines if line.strip())

    def get_data_info(self, idx: int) -> dict:
        """``VideoDataset``'s info plus ``exact_decode``: whether the video is listed for
        reading in order."""
        info = super().get_data_info(idx)
        info['exact_decode'] = info['filename'] in self._exact
        return info

    def load_data_list(self) -> List[dict]:
        """Check the paths, then parse ``<path> <label...>`` lines."""
        video_root = self.data_prefix.get('video') or ''
        check_paths_exist([('ann_file', self.ann_file, 'file')] +
                          ([('data_prefix.video', video_root, 'folder')] if video_root else []))
        try:
            return super().load_data_list()
        except ValueError as error:
            raise UserValueError(
                f'{self.ann_file}: every line must be "<path>'
                f'{self.delimiter}<integer label>" ({error}); paths must not '
                'contain the delimiter, set `delimiter` to match the '
                'file.') from error

    def prepare_data(self, idx: int) -> Optional[dict]:
        """Run the pipeline on ``idx``; see the module docstring for failures.

        Returns:
            The pipeline output, e.g. ``dict(inputs=(N, C, T, H, W) tensor,
            data_samples=ActionDataSample)``.
        """
        if self.test_mode:
            return self._prepare_test_sample(idx)
        return self._prepare_train_sample(idx)

    def skip_known_bad(self, videos: Dict[str, str]) -> None:
        """Treat ``videos`` (``{filename: reason}``, filenames as ``get_data_info`` gives them) as bad
        without reading them."""
        self.known_bad = dict(videos)

    def _run_pipeline(self, idx: int) -> Optional[dict]:
        """``self.pipeline`` on ``idx``'s info (a :class:`FrameCheckedCompose` unless a tool replaced it),
        in the guard's child process when there is a guard."""
        info = self.get_data_info(idx)
        if info['filename'] in self.known_bad:
            raise KnownBadVideo(self.known_bad[info['filename']])
        # The guard runs the dataset's own pipeline, bare or wrapped (``.pipeline``, as EpochSeedHook's
        # seeding does); a tool's replacement that records what it sees in this process (mmaction2's
        # browse_dataset.py) runs here.
        own = self._own_pipeline in (self.pipeline, getattr(self.pipeline, 'pipeline', None))
        if not (self.guard and own):
            return self.pipeline(info)
        try:
            return self.guard(self.pipeline, info)
        except RETRIED_FAILURES as error:
            print_log(f'{type(self).__name__}: {info["filename"]}: {error}; trying it once more',
                      logger='current', level=WARNING)
        return self.guard(self.pipeline, info)

    def _describe_failure(self, idx: int, error: Exception) -> dict:
        """``{'filename', 'reason'}`` for a failed index, logged as warning."""
        filename = self.get_data_info(idx).get('filename', f'index {idx}')
        local = _is_local(filename)
        if isinstance(error, FileNotFoundError) or (local and
                                                    not osp.exists(filename)):
            reason = 'missing file'
        elif local and osp.getsize(filename) == 0:
            reason = 'zero-byte file'
        elif isinstance(error, VideoTooShortError):
            reason = f'too short: {error}'
        elif isinstance(error, KnownBadVideo):
            reason = f'{error} (met before: not read again)'
        elif isinstance(error, DecoderKilled):
            reason = f'decoder crashed: {error}, twice'
        elif isinstance(error, DecoderCrashed):
            reason = f'decoder crashed: {error}'
        elif isinstance(error, DecodeTimeout):
            reason = f'decoder hung: {error}, twice'
        else:
            reason = f'unreadable: {decode_failure(error)}'
        # Once per file and process, and not from DataLoader workers (new processes every epoch unless
        # persistent): BadSampleReportHook reports every bad file of a run from the records once.
        if filename not in self._warned and torch.utils.data.get_worker_info() is None:
            self._warned.add(filename)
            action = 'flagged invalid' if self.test_mode else 'skipped'
            print_log(f'{type(self).__name__}: {action} {filename} ({reason}); check the file or run '
                      f'tools/data/check_videos.py on {self.ann_file}', logger='current', level=WARNING)
        record = dict(filename=filename, reason=reason)
        if isinstance(error, (DecoderCrashed, DecodeTimeout)):
            record['remember'] = True  # costly to meet again: BadSampleReportHook keeps it in the work dir
            self.known_bad[filename] = reason  # and this process skips it from now on
        return record

    def _prepare_train_sample(self, idx: int) -> Optional[dict]:
        """Load ``idx`` or the next readable index after it."""
        skipped, last_error = [], None
        for offset in range(min(len(self), self.max_refetch + 1)):
            candidate = (idx + offset) % len(self)
            try:
                data = self._run_pipeline(candidate)
            except Exception as error:  # noqa: BLE001  (every error of a video is that video's: module docstring)
                skipped.append(self._describe_failure(candidate, error))
                last_error = error
                continue
            if skipped and data is not None:
                _set_meta(data, SKIPPED_KEY, skipped)
            return data
        raise RuntimeError(
            f'{len(skipped)} consecutive videos from index {idx} of '
            f'{self.ann_file} failed to load, the last: '
            f'{skipped[-1]["filename"]} ({skipped[-1]["reason"]}); if every video fails, the pipeline is '
            'misconfigured (the error above); else run tools/data/check_videos.py on the list and train on its '
            '.clean.txt output.') from last_error

    def _prepare_test_sample(self, idx: int) -> Optional[dict]:
        """Load ``idx``, or a flagged zero placeholder if it fails."""
        try:
            return self._run_pipeline(idx)
        except Exception as error:  # noqa: BLE001  (every error of a video is that video's: module docstring)
            record = self._describe_failure(idx, error)
        if self._placeholder is None:
            self._placeholder = self._build_placeholder(idx)
        data = copy.deepcopy(self._placeholder)
        label = self.get_data_info(idx)['label']
        data_sample = data.get('data_samples')
        if hasattr(data_sample, 'set_gt_labels'):
            data_sample.set_gt_labels(label)
        else:
            data['label'] = label
        _set_meta(data, INVALID_KEY, record)
        return data

    def _build_placeholder(self, idx: int) -> dict:
        """Zeroed output of the first readable sample among the ``max_refetch`` after ``idx``."""
        last_error = None
        for offset in range(1, min(len(self), self.max_refetch + 1)):
            try:
                data = self._run_pipeline((idx + offset) % len(self))
            except Exception as error:  # noqa: BLE001  (that video's; the next one is tried)
                last_error = error
                continue
            if data is not None:
                return _zeros_like(data)
        raise RuntimeError(
            f'index {idx} of {self.ann_file} and the {self.max_refetch} after it failed to load, so no placeholder '
            'with the right shapes can be built; if every video fails, the pipeline is misconfigured (the error '
            'above); else check the video root and run tools/data/check_videos.py on the list.'
        ) from last_error
