"""A video re-encoded with its predicted classes drawn on every frame.

Each frame gets a panel in its top-left corner (:func:`label_panel_box`): one line per class of the
top-k, its name and score, over a bar as long as the score, and an optional caption. The video is
decoded with TorchCodec a few frames at a time and written frame by frame through PyAV as H.264 MP4
at the input's average frame rate and size (or another size): memory does not grow with its length.
"""
import math
from fractions import Fraction
from typing import Callable, Iterator, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch

from loki_video.user_error import UserValueError

FONT = cv2.FONT_HERSHEY_SIMPLEX
LINE_HEIGHT = 18   # pixels a class takes at scale 1
PANEL_WIDTH = 240  # at scale 1
MARGIN = 4


def _scale(frame_shape):
    """Text scale for a frame: 1 at 480 pixels high, never below 0.6 (smaller is unreadable)."""
    return max(0.6, frame_shape[0] / 480)


def class_name(prediction: dict) -> str:
    """A prediction's class name, or ``class <index>`` without label names."""
    return prediction['name'] if prediction.get('name') is not None else f"class {prediction['index']}"


def label_panel_box(frame_shape: Sequence[int], topk: int) -> Tuple[int, int]:
    """``(height, width)`` of the top-left panel :func:`draw_predictions` draws on a frame of ``frame_shape``."""
    scale = _scale(frame_shape)
    return (min(frame_shape[0], int((topk * LINE_HEIGHT + 2 * MARGIN) * scale)),
            min(frame_shape[1], int(PANEL_WIDTH * scale)))


def draw_predictions(frame: np.ndarray, predictions: Sequence[dict],
                     caption: Optional[str] = None) -> np.ndarray:
    """A copy of ``frame (H, W, 3)`` uint8 RGB with ``predictions`` (``[{'name', 'index', 'score'}]``, best
    first) drawn in the top-left panel: a darkened box, a bar per class as long as its score, its name and
    score in white; ``caption`` on a last line of the panel."""
    frame = frame.copy()
    scale = _scale(frame.shape)
    height, width = label_panel_box(frame.shape, len(predictions) + (caption is not None))
    frame[:height, :width] = frame[:height, :width] // 3
    line = LINE_HEIGHT * scale
    for rank, prediction in enumerate(predictions):
        top = int(MARGIN * scale + rank * line)
        bar = int((width - 2 * MARGIN * scale) * min(max(prediction['score'], 0.0), 1.0))
        cv2.rectangle(frame, (int(MARGIN * scale), top + 2), (int(MARGIN * scale) + bar, int(top + line) - 2),
                      (40, 110, 200), -1)
        cv2.putText(frame, f"{class_name(prediction)} {prediction['score']:.2f}",
                    (int(2 * MARGIN * scale), int(top + 0.75 * line)), FONT, 0.45 * scale, (255, 255, 255), 1,
                    cv2.LINE_AA)
    if caption is not None:
        top = MARGIN * scale + len(predictions) * line
        cv2.putText(frame, caption, (int(2 * MARGIN * scale), int(top + 0.75 * line)), FONT, 0.4 * scale,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return frame


def _decoded_frames(decoder, chunk: int = 32) -> Iterator[Tuple[torch.Tensor, float]]:
    """``(frame (3, H, W) uint8, seconds from the first frame)`` of every frame, ``chunk`` frames decoded at a time:
    times are the frames' own timestamps, so they hold for variable-rate videos too."""
    first = None
    for begin in range(0, len(decoder), chunk):
        batch = decoder.get_frames_in_range(begin, min(begin + chunk, len(decoder)))
        for frame, seconds in zip(batch.data, batch.pts_seconds.tolist()):
            first = seconds if first is None else first
            yield frame, seconds - first


def _labelled_frames(decoder, predictions, width, height, caption):
    """Each decoded frame at ``(width, height)`` with its predictions drawn: ``(H, W, 3)`` uint8 RGB."""
    for frame, seconds in _decoded_frames(decoder):
        rgb = frame.permute(1, 2, 0).numpy()
        if rgb.shape[:2] != (height, width):
            rgb = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
        yield draw_predictions(rgb, predictions(seconds) if callable(predictions) else predictions, caption)


def _frame_rate(decoder, source: str) -> float:
    """The video's average frame rate, from its header or from its frames and duration."""
    metadata = decoder.metadata
    rate = metadata.average_fps
    if not rate or not math.isfinite(rate) or rate <= 0:
        duration = metadata.duration_seconds
        rate = len(decoder) / duration if duration else None
    if not rate or rate <= 0:
        raise UserValueError(f'{source}: neither a frame rate nor a duration in its header; re-encode it with '
                             'ffmpeg -i IN -r 30 OUT.mp4')
    return rate


def write_labelled_video(source: str, destination: str,
                         predictions: Union[Sequence[dict], Callable[[float], Sequence[dict]]],
                         size: Optional[Tuple[int, int]] = None,
                         caption: Optional[str] = None) -> Tuple[int, float, Tuple[int, int]]:
    """Decode ``source``, draw ``predictions`` on every frame, encode H.264 MP4 to ``destination`` at the
    source's average frame rate, and at its size or ``size`` ``(width, height)`` (odd sides rounded down to
    even, as H.264 in yuv420p needs). Frames are decoded, drawn and encoded a few at a time through PyAV, so
    memory does not grow with the video's length. Returns ``(frames, frame rate, (width, height))``.

    ``predictions``: ``[{'name', 'index', 'score'}]`` for every frame, or a function of the frame's time
    in seconds (its timestamp from the first frame) giving them. ``caption``: a line drawn under them
    (e.g. which part of the video they come from).
    """
    import av
    from torchcodec.decoders import VideoDecoder
    decoder = VideoDecoder(source)
    rate = _frame_rate(decoder, source)
    width, height = even_size(size or (decoder.metadata.width, decoder.metadata.height))
    count = 0
    with av.open(destination, 'w') as container:
        stream = container.add_stream('libx264', rate=Fraction(rate).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'
        for rgb in _labelled_frames(decoder, predictions, width, height, caption):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format='rgb24')))
            count += 1
        container.mux(stream.encode())
    if not count:
        raise UserValueError(f'{source}: no frames to write')
    return count, rate, (width, height)


def even_size(size: Sequence[int]) -> Tuple[int, ...]:
    """``(width, height)`` rounded down to even numbers, as H.264 in yuv420p needs them."""
    return tuple(int(side) // 2 * 2 for side in size)

