"""Frame-exact decoding: indexed reads checked against sequential decoding.

A decoder reads frame ``i`` by seeking to a keyframe before it and decoding forward. On some
valid files decord's seek lands wrong and it returns corrupted or other frames without an error
(on imageio's ``cockatoo.mp4``, h264 yuv444p, every clip that starts past frame 110 comes back
wrong through mmaction2's ``DecordDecode``; torchcodec's exact seek mode is wrong there too).
Decoding from the first frame on is always right. :func:`seek_mismatches` finds such files
(``tools/data/check_videos.py --verify-seek`` lists them), and
:class:`~loki_video.datasets.video_decode.VideoDecode` reads the listed ones sequentially
(``RobustVideoDataset(exact_decode_list=...)`` sets it up).
"""
from typing import List, Sequence

import numpy as np


def sequential_frames(reader, indices: Sequence[int]) -> List[np.ndarray]:
    """Frames at ``indices`` (any order, repeats allowed) decoded from frame 0 on, one after the
    other: a list of ``(H, W, 3)`` uint8 arrays in the order of ``indices``. Keeps only those frames.

    Args:
        reader: a ``decord.VideoReader``.
    """
    wanted = set(int(i) for i in indices)
    frames = {}
    reader.seek(0)
    for index in range(max(wanted) + 1):
        frame = reader.next()
        if index in wanted:
            frames[index] = frame.asnumpy()
    return [frames[int(i)] for i in indices]


def seek_mismatches(path: str, samples: int = 8, backend: str = 'auto') -> dict:
    """Compare indexed reads (a fresh reader, as a dataloader worker opens one per clip) with
    sequential decoding at ``samples`` frames spread evenly over the video, the last included.

    Args:
        backend: the decoder whose indexed reads are checked, as ``VideoInit`` takes it
            (``'auto'``: torchcodec where it loads, else decord); the reference is decord's
            sequential decoding.

    Returns:
        ``dict(checked=[indices], wrong=[indices whose frames differ])``.
    Raises:
        what decord raises on a file it cannot read.
    """
    import decord
    reader = decord.VideoReader(path, num_threads=1)
    num_frames = len(reader)
    checked = sorted(set(np.linspace(0, num_frames - 1, max(1, min(samples, num_frames))).round().astype(int).tolist()))
    reference = sequential_frames(reader, checked)
    from .video_decode import VideoDecode, VideoInit
    opener, reader_of = VideoInit(backend=backend), VideoDecode()

    def indexed_read(index):
        clip = reader_of(dict(opener(dict(filename=path)), frame_inds=np.array([index])))
        return clip['imgs'][0]

    wrong = [index for index, frame in zip(checked, reference) if not np.array_equal(indexed_read(index), frame)]
    return dict(checked=checked, wrong=wrong)
