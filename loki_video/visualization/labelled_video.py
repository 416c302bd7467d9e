"""A video re-encoded with its predicted classes drawn on every frame.

Each frame gets a panel in its top-left corner (:func:`label_panel_box`): one line per class of the
top-k, its name and score, over a bar as long as the score. The video is decoded with TorchCodec and
written as H.264 MP4 at the input's frame rate and size (or another size), with TorchCodec's encoder,
or frame by frame through PyAV for long videos.
"""
from fractions import Fraction
from typing import Callable, Optional, Sequence, Tuple

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


def label_panel_box(frame_shape: Sequence[int], topk: int) -> Tuple[int, int]:
    """``(height, width)`` of the top-left panel :func:`draw_predictions` draws on a frame of ``frame_shape``."""
    scale = _scale(frame_shape)
    return (min(frame_shape[0], int((topk * LINE_HEIGHT + 2 * MARGIN) * scale)),
            min(frame_shape[1], int(PANEL_WIDTH * scale)))


def draw_predictions(frame: np.ndarray, predictions: Sequence[dict]) -> np.ndarray:
    """A copy of ``frame (H, W, 3)`` uint8 RGB with ``predictions`` (``[{'name', 'index', 'score'}]``, best
    first) drawn in the top-left panel: a darkened box, a bar per class as long as its score, its name and
    score in white."""
    frame = frame.copy()
    scale = _scale(frame.shape)
    height, width = label_panel_box(frame.shape, len(predictions))
    frame[:height, :width] = frame[:height, :width] // 3
    line = LINE_HEIGHT * scale
    for rank, prediction in enumerate(predictions):
        top = int(MARGIN * scale + rank * line)
        bar = int((width - 2 * MARGIN * scale) * min(max(prediction['score'], 0.0), 1.0))
        cv2.rectangle(frame, (int(MARGIN * scale), top + 2), (int(MARGIN * scale) + bar, int(top + line) - 2),
                      (40, 110, 200), -1)
        name = prediction['name'] if prediction.get('name') is not None else f"class {prediction['index']}"
        cv2.putText(frame, f"{name} {prediction['score']:.2f}", (int(2 * MARGIN * scale), int(top + 0.75 * line)),
                    FONT, 0.45 * scale, (255, 255, 255), 1, cv2.LINE_AA)
    return frame


def _labelled_frames(decoder, predictions, rate, width, height):
    """Each decoded frame at ``(width, height)`` with its predictions drawn: ``(H, W, 3)`` uint8 RGB."""
    for index, frame in enumerate(decoder):                      # (3, H, W) uint8
        rgb = frame.permute(1, 2, 0).numpy()
        if rgb.shape[:2] != (height, width):
            rgb = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
        yield draw_predictions(rgb, predictions(index / rate) if callable(predictions) else predictions)


def _stream_encode(frames, destination, rate, width, height):
    """H.264 MP4 frame by frame through PyAV (memory independent of the length): the number of frames."""
    try:
        import av
    except ImportError as error:
        raise ImportError('writing a long labelled video needs PyAV: pip install av') from error
    count = 0
    with av.open(destination, 'w') as container:
        stream = container.add_stream('libx264', rate=Fraction(rate).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'
        for rgb in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format='rgb24')))
            count += 1
        container.mux(stream.encode())
    return count


def write_labelled_video(source: str, destination: str, predictions: Callable[[float], Sequence[dict]],
                         size: Optional[Tuple[int, int]] = None,
                         stream: bool = False) -> Tuple[int, float, Tuple[int, int]]:
    """Decode ``source``, draw ``predictions`` on every frame, encode H.264 MP4 to ``destination`` at the
    source's frame rate, and at its size or ``size`` ``(width, height)`` (odd sides rounded down to even, as
    H.264 in yuv420p needs). Returns ``(frames, frame rate, (width, height))``.

    ``predictions``: ``[{'name', 'index', 'score'}]`` for every frame, or a function of the frame's time
    in seconds giving them. ``stream``: encode frame by frame through PyAV (long videos; memory does not
    grow with the length) instead of TorchCodec's encoder, which takes all frames at once; PyAV also
    encodes when TorchCodec cannot.
    """
    from torchcodec.decoders import VideoDecoder
    decoder = VideoDecoder(source)
    rate = decoder.metadata.average_fps
    width, height = even_size(size or (decoder.metadata.width, decoder.metadata.height))
    frames = _labelled_frames(decoder, predictions, rate, width, height)
    if stream:
        count = _stream_encode(frames, destination, rate, width, height)
    else:
        from torchcodec.encoders import VideoEncoder
        stacked = [torch.from_numpy(rgb).permute(2, 0, 1) for rgb in frames]
        count = len(stacked)
        try:
            if stacked:
                VideoEncoder(torch.stack(stacked), frame_rate=rate).to_file(destination, codec='libx264',
                                                                            pixel_format='yuv420p')
        except RuntimeError:   # TorchCodec's FFmpeg cannot encode H.264 here: PyAV's can
            _stream_encode((frame.permute(1, 2, 0).numpy() for frame in stacked), destination, rate, width, height)
    if not count:
        raise UserValueError(f'{source}: no frames to write')
    return count, rate, (width, height)


def even_size(size: Sequence[int]) -> Tuple[int, ...]:
    """``(width, height)`` rounded down to even numbers, as H.264 in yuv420p needs them."""
    return tuple(int(side) // 2 * 2 for side in size)

