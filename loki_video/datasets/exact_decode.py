"""Frame-exact decoding: indexed reads checked against sequential decoding, and a decode
transform that reads flagged videos sequentially.

A decoder reads frame ``i`` by seeking to a keyframe before it and decoding forward. On some
valid files decord's seek lands wrong and it returns corrupted or other frames without an error
(on imageio's ``cockatoo.mp4``, h264 yuv444p, every clip that starts past frame 110 comes back
wrong through mmaction2's ``DecordDecode``). Decoding from the first frame on is always right.
:func:`seek_mismatches` finds such files (``tools/data/check_videos.py --verify-seek`` lists
them), and :class:`ExactDecordDecode` reads the listed ones sequentially
(``RobustVideoDataset(exact_decode_list=...)`` sets it up).
"""
from typing import Dict, List, Sequence

import numpy as np
from mmaction.datasets.transforms import DecordDecode
from mmaction.registry import TRANSFORMS


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


def seek_mismatches(path: str, samples: int = 8) -> dict:
    """Compare indexed reads (a fresh reader, as a dataloader worker opens one per clip) with
    sequential decoding at ``samples`` frames spread evenly over the video, the last included.

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
    wrong = [index for index, frame in zip(checked, reference)
             if not np.array_equal(decord.VideoReader(path, num_threads=1).get_batch([index]).asnumpy()[0], frame)]
    return dict(checked=checked, wrong=wrong)


@TRANSFORMS.register_module()
class ExactDecordDecode(DecordDecode):
    """``DecordDecode`` that decodes a video sequentially from its first frame when the sample's
    ``exact_decode`` key is true (videos listed by ``check_videos.py --verify-seek``); other
    videos are read as ``DecordDecode`` reads them. Adds ``imgs``, ``original_shape``, ``img_shape``.
    """

    def transform(self, results: Dict) -> Dict:
        self._sequential = bool(results.get('exact_decode'))
        return super().transform(results)

    def _decord_load_frames(self, container, frame_inds: np.ndarray) -> List[np.ndarray]:
        if self._sequential:
            return sequential_frames(container, frame_inds)
        return super()._decord_load_frames(container, frame_inds)
