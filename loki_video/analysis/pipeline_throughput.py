"""Clips per second per core of a config's data pipelines, side by side on a user's own videos.

Each measured pipeline runs through :class:`~loki_video.datasets.RobustVideoDataset` as in a DataLoader
worker, in this process with one thread (one core), over every video of a sample, in alternating rounds
so that the machine's noise falls on all alike; the median round counts. Pipelines:

* ``project``: the config's pipeline of a split (``train``, ``val``, ``test``; the test pipeline at
  ``views``, e.g. ``3x1``, as ``tools/test.py --views``);
* ``mmaction2``: the same with mmaction2's stock decoding (``DecordInit`` / ``DecordDecode``) and
  mmaction2's ``Resize`` in place of the project's transforms;
* ``guarded``: the project's pipeline behind the decoder guard (``decode_timeout``), whose cost it shows.

Besides time, each row gives the frames decoded per clip (:mod:`~loki_video.analysis.frames_decoded`,
from the sampled indices and the videos' keyframes): what a clip costs before any time is measured.
Given the clips per second one GPU trains on, the cores a GPU needs follow.
"""
import copy
import glob
import os.path as osp
import tempfile
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config

from loki_video.config import load_config
from loki_video.user_error import UserFileError, UserValueError

from .frames_decoded import frames_decoded, keyframe_layout

PIPELINES = ('project', 'mmaction2', 'guarded')
SPLITS = ('train', 'val', 'test')
VIDEO_SUFFIXES = ('.mp4', '.avi', '.mkv', '.webm', '.mov')
# The project's transforms and mmaction2's stock ones in their places.
STOCK_TRANSFORMS = {'VideoInit': dict(type='DecordInit'), 'VideoDecode': dict(type='DecordDecode')}


def video_sample(path: str) -> List[str]:
    """The videos of ``path``: a video file, or a folder's video files (sorted)."""
    if osp.isdir(path):
        videos = sorted(p for p in glob.glob(osp.join(path, '**', '*'), recursive=True)
                        if p.lower().endswith(VIDEO_SUFFIXES))
        if not videos:
            raise UserFileError(f'{path}: no video files ({", ".join(VIDEO_SUFFIXES)}) in this folder')
        return videos
    if not osp.isfile(path):
        raise UserFileError(f'{path}: no such video file or folder')
    return [path]


def stock_pipeline(pipeline: Sequence[dict]) -> List[dict]:
    """``pipeline`` with mmaction2's stock decoding and transforms in place of the project's."""
    stock = []
    for step in pipeline:
        if step['type'] in STOCK_TRANSFORMS:
            stock.append(dict(STOCK_TRANSFORMS[step['type']]))
        elif step['type'] == 'ClipResize':
            stock.append(dict(step, type='Resize'))
        else:
            stock.append(dict(step))
    return stock


def split_pipeline(cfg: Config, split: str, views: Optional[str] = None) -> List[dict]:
    """The pipeline of ``split``'s dataloader; the test pipeline at ``views`` (``'3x1'``) when given."""
    from loki_video.datasets.multi_view import parse_views, set_views
    if split not in SPLITS:
        raise UserValueError(f'split {split!r} is not one of {SPLITS}')
    if split == 'test' and views:
        set_views(cfg, *parse_views(views))
    return copy.deepcopy(cfg[f'{split}_dataloader'].dataset.pipeline)


def _sampled_indices(pipeline: Sequence[dict], num_frames: int, clips: int, seed: int = 0) -> List[np.ndarray]:
    """Frame indices the pipeline's sampler (the step with ``clip_len``) draws for ``clips`` clips."""
    from mmaction.registry import TRANSFORMS
    sampler = TRANSFORMS.build(copy.deepcopy(next(step for step in pipeline if 'clip_len' in step)))
    np.random.seed(seed)
    return [sampler(dict(total_frames=num_frames, start_index=0))['frame_inds'] for _ in range(clips)]


def mean_frames_decoded(pipeline: Sequence[dict], videos: Sequence[str], clips: int = 10) -> float:
    """Frames decoded per clip (mean over ``clips`` clips of each video)."""
    counts = []
    for video in videos:
        num_frames, keyframes = keyframe_layout(video)
        counts += [frames_decoded(keyframes, indices) for indices in _sampled_indices(pipeline, num_frames, clips)]
    return float(np.mean(counts))


def _one_core():
    """One thread for torch and OpenCV, as in one DataLoader worker on one core; returns the restore."""
    import cv2
    import torch
    threads = torch.get_num_threads(), cv2.getNumThreads()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)

    def restore():
        torch.set_num_threads(threads[0])
        cv2.setNumThreads(threads[1])
    return restore


def pipeline_throughput(config: str, samples: Dict[str, Sequence[str]], splits: Sequence[str] = ('train', ),
                        pipelines: Sequence[str] = ('project', 'mmaction2'), views: Optional[str] = None,
                        rounds: int = 5, passes: int = 2, decode_timeout: float = 30.) -> List[dict]:
    """Median clips per second per core of each (sample, split, pipeline), measured side by side.

    Args:
        config (str): a video config.
        samples (dict): ``{name: [video paths]}``: each a sample of videos measured on its own.
        splits (Sequence[str]): of :data:`SPLITS`. Defaults to ``('train',)``.
        pipelines (Sequence[str]): of :data:`PIPELINES`. Defaults to ``('project', 'mmaction2')``.
        views (str, optional): test views (``'3x1'``) of the test pipeline.
        rounds (int): alternating rounds (after one warm-up round). Defaults to 5.
        passes (int): passes over a sample's videos per round. Defaults to 2.
        decode_timeout (float): the guard's timeout for ``'guarded'``. Defaults to 30.

    Returns:
        One row a combination: ``dict(sample, split, pipeline, ms_per_clip, clips_per_s, frames_decoded)``.
    """
    from loki_video.datasets import RobustVideoDataset
    unknown = set(pipelines) - set(PIPELINES)
    if unknown:
        raise UserValueError(f'pipelines {sorted(unknown)} are not among {PIPELINES}')
    cfg = load_config(config)
    project = {split: split_pipeline(cfg, split, views) for split in splits}
    rows, datasets = [], []
    restore = _one_core()
    with tempfile.TemporaryDirectory() as folder:
        try:
            for name, videos in samples.items():
                annotations = osp.join(folder, f'{len(datasets)}.txt')
                with open(annotations, 'w') as lines:
                    lines.writelines(f'{osp.abspath(video)} 0\n' for video in videos)
                for split in splits:
                    frames = mean_frames_decoded(project[split], videos)   # the same sampler in every pipeline
                    for pipeline in pipelines:
                        steps = stock_pipeline(project[split]) if pipeline == 'mmaction2' else project[split]
                        dataset = RobustVideoDataset(annotations, steps, test_mode=split != 'train',
                                                     decode_timeout=decode_timeout if pipeline == 'guarded' else None)
                        datasets.append(dataset)
                        rows.append(dict(sample=name, split=split, pipeline=pipeline, rates=[], frames_decoded=frames))
            for round_index in range(rounds + 1):  # round 0 warms up (decoder libraries, the guard's child)
                order = range(len(rows)) if round_index % 2 else reversed(range(len(rows)))
                for index in order:
                    dataset = datasets[index]
                    started = time.perf_counter()
                    for _ in range(passes):
                        for item in range(len(dataset)):
                            dataset[item]
                    if round_index:
                        rows[index]['rates'].append(passes * len(dataset) / (time.perf_counter() - started))
        finally:
            restore()
            for dataset in datasets:
                if dataset.guard is not None:
                    dataset.guard.close()
    for row in rows:
        row['clips_per_s'] = float(np.median(row.pop('rates')))
        row['ms_per_clip'] = 1e3 / row['clips_per_s']
    return rows


def format_table(rows: Sequence[dict], gpu_clips_per_s: Optional[float] = None) -> str:
    """A plain-text table of :func:`pipeline_throughput`'s rows: each against mmaction2's stock pipeline on
    the first sample for the same split (where measured), and the cores per GPU at ``gpu_clips_per_s``."""
    baseline = {row['split']: row['clips_per_s'] for row in rows[::-1]
                if row['pipeline'] == 'mmaction2' and row['sample'] == rows[0]['sample']}
    header = ['sample', 'split', 'pipeline', 'ms/clip', 'clips/s/core', 'frames decoded/clip']
    if baseline:
        header.append(f'x mmaction2 on {rows[0]["sample"]}')
    if gpu_clips_per_s:
        header.append(f'cores/GPU at {gpu_clips_per_s:g} clips/s')
    table = [header]
    for row in rows:
        cells = [row['sample'], row['split'], row['pipeline'], f'{row["ms_per_clip"]:.1f}', f'{row["clips_per_s"]:.1f}',
                 f'{row["frames_decoded"]:.1f}']
        if baseline:
            cells.append(f'{row["clips_per_s"] / baseline[row["split"]]:.2f}' if row['split'] in baseline else '')
        if gpu_clips_per_s:
            cells.append(f'{gpu_clips_per_s / row["clips_per_s"]:.1f}')
        table.append(cells)
    widths = [max(len(line[column]) for line in table) for column in range(len(header))]
    return '\n'.join('  '.join(cell.ljust(width) for cell, width in zip(line, widths)) for line in table)
