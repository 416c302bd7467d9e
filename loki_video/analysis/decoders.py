"""Video decoders compared on real files: milliseconds per clip and frames that differ from
decoding in order, each clip read the way a dataloader worker reads it (a fresh reader).

Decoders (those whose package is missing are left out):

* ``torchcodec``, ``decord``: the backends of :mod:`loki_video.datasets.video_reader` (what
  ``VideoInit`` + ``VideoDecode`` read; decord2, a maintained fork, installs as ``decord``);
* ``pyav``: mmaction2's ``PyAVInit`` + ``PyAVDecode(mode='accurate')``;
* ``opencv``: mmaction2's ``OpenCVInit`` + ``OpenCVDecode``.

The reference is decord reading every frame in order from the first (``differing_frames``).
"""
import importlib.util
import time
from typing import Dict, List, Sequence

import numpy as np
from mmaction.registry import TRANSFORMS
from mmengine.registry import DefaultScope

from ..datasets.video_reader import READERS, differing_frames, open_video, torchcodec_error

# mmaction2's init and decode transforms of the decoders that are not backends of video_reader.
MMACTION2_PIPELINES = {
    'pyav': (dict(type='PyAVInit'), dict(type='PyAVDecode', mode='accurate')),
    'opencv': (dict(type='OpenCVInit'), dict(type='OpenCVDecode')),
}
PACKAGES = {'torchcodec': 'torchcodec', 'decord': 'decord', 'pyav': 'av', 'opencv': 'cv2'}
DECODERS = tuple(PACKAGES)


def available_decoders() -> List[str]:
    """The decoders of ``DECODERS`` that can run here."""
    found = [name for name, package in PACKAGES.items() if importlib.util.find_spec(package)]
    return [name for name in found if name != 'torchcodec' or not torchcodec_error()]


def decoder_version(name: str) -> str:
    module = importlib.import_module(PACKAGES[name])
    return getattr(module, '__version__', 'unknown')


def clip_indices(num_frames: int, clips: int, clip_len: int) -> List[np.ndarray]:
    """``clips`` clips of ``clip_len`` frames, each spread over half the video, their starts
    evenly from the first frame to the middle (so most lie past the first keyframes)."""
    span = max(clip_len, num_frames // 2)
    starts = np.linspace(0, max(0, num_frames - span), clips).round().astype(int)
    return [np.linspace(start, min(num_frames, start + span) - 1, clip_len).round().astype(int) for start in starts]


def read_clip(name: str, path: str, indices: np.ndarray) -> List[np.ndarray]:
    """The ``(H, W, 3)`` RGB frames at ``indices`` through decoder ``name``, with a fresh reader."""
    if name in READERS:
        return open_video(path, name).frames_at(indices)
    init, decode = MMACTION2_PIPELINES[name]
    with DefaultScope.overwrite_default_scope('mmaction'):  # whichever scope a config made current
        init, decode = TRANSFORMS.build(init), TRANSFORMS.build(decode)
    results = init(dict(filename=path, start_index=0, modality='RGB'))
    results['frame_inds'] = np.asarray(indices)
    return decode(results)['imgs']


def compare_decoders(path: str, decoders: Sequence[str], clips: int = 4, clip_len: int = 8,
                     repeat: int = 3) -> Dict[str, dict]:
    """For each decoder: ``ms_per_clip`` (best of ``repeat`` passes over the clips), ``wrong``
    (frames that differ from decoding in order) and ``frames`` (frames compared)."""
    clip_list = clip_indices(open_video(path, 'decord').num_frames, clips, clip_len)
    report = {}
    for name in decoders:
        best, frames = float('inf'), None
        for _ in range(repeat):
            start = time.perf_counter()
            frames = [read_clip(name, path, indices) for indices in clip_list]
            best = min(best, time.perf_counter() - start)
        report[name] = dict(ms_per_clip=round(1000 * best / clips, 1),
                            wrong=len(differing_frames(path, clip_list, frames)), frames=clips * clip_len)
    return report
