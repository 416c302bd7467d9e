"""Video decoders compared on real files: milliseconds per clip and frames that differ from
sequential decoding, each clip read the way a dataloader worker reads it (a fresh reader).

Decoders (mmaction2 init/decode transform pairs; those whose package is missing are left out):

* ``torchcodec``: ``VideoInit(backend='torchcodec')`` + ``VideoDecode`` (exact seek mode);
* ``decord``: ``VideoInit(backend='decord')`` + ``VideoDecode`` (what ``DecordInit`` +
  ``DecordDecode`` read; decord2, a maintained fork, installs under the same name);
* ``pyav``: mmaction2's ``PyAVInit`` + ``PyAVDecode(mode='accurate')``;
* ``opencv``: mmaction2's ``OpenCVInit`` + ``OpenCVDecode``.

The reference is decord decoding every frame from the first on (``sequential_frames``).
"""
import importlib.util
import time
from typing import Dict, List, Sequence

import numpy as np
from mmaction.registry import TRANSFORMS

from ..datasets.exact_decode import sequential_frames
from ..datasets.video_decode import torchcodec_error

PIPELINES = {
    'torchcodec': ([dict(type='VideoInit', backend='torchcodec')], dict(type='VideoDecode')),
    'decord': ([dict(type='VideoInit', backend='decord')], dict(type='VideoDecode')),
    'pyav': ([dict(type='PyAVInit')], dict(type='PyAVDecode', mode='accurate')),
    'opencv': ([dict(type='OpenCVInit')], dict(type='OpenCVDecode')),
}
PACKAGES = {'torchcodec': 'torchcodec', 'decord': 'decord', 'pyav': 'av', 'opencv': 'cv2'}


def available_decoders() -> List[str]:
    """The decoders of ``PIPELINES`` that can run here."""
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
    inits, decode = PIPELINES[name]
    results = dict(filename=path, start_index=0, modality='RGB')
    for init in inits:
        results = TRANSFORMS.build(init)(results)
    results['frame_inds'] = np.asarray(indices)
    return TRANSFORMS.build(decode)(results)['imgs']


def compare_decoders(path: str, decoders: Sequence[str], clips: int = 4, clip_len: int = 8,
                     repeat: int = 3) -> Dict[str, dict]:
    """For each decoder: ``ms_per_clip`` (best of ``repeat`` passes over the clips), ``wrong``
    (frames that differ from sequential decoding) and ``frames`` (frames compared)."""
    import decord
    reader = decord.VideoReader(path, num_threads=1)
    clip_list = clip_indices(len(reader), clips, clip_len)
    wanted = sorted(set(np.concatenate(clip_list).tolist()))
    reference = dict(zip(wanted, sequential_frames(reader, wanted)))
    report = {}
    for name in decoders:
        best, frames = float('inf'), None
        for _ in range(repeat):
            start = time.perf_counter()
            frames = [read_clip(name, path, indices) for indices in clip_list]
            best = min(best, time.perf_counter() - start)
        wrong = sum(not np.array_equal(frame, reference[int(index)])
                    for indices, clip in zip(clip_list, frames) for index, frame in zip(indices, clip))
        report[name] = dict(ms_per_clip=round(1000 * best / clips, 1), wrong=int(wrong),
                            frames=clips * clip_len)
    return report
