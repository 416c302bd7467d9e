"""Predictions over the last seconds of a live source (``tools/stream_demo.py``).

Every ``stride`` seconds :func:`classify_stream` takes the newest ``window`` seconds of frames of a
:class:`~.live_source.LiveSource`, runs the model's test pipeline on them (its frame sampling and views,
as on a video file) and reports the top classes with their latency: from the arrival of the newest frame
of the window to the prediction. When the model is slower than ``stride`` the predictions due meanwhile
are not queued: the next one takes the newest frames, and the frames no window covered count as dropped.
With an output video, each frame that arrives is written with the newest prediction drawn on it.
"""
import time
from fractions import Fraction
from typing import Callable, Optional, Sequence

import numpy as np
from torch import nn

from loki_video.apis import predict
from loki_video.visualization.labelled_video import draw_predictions, even_size

from .live_source import Frame, LiveSource


class LabelledWriter:
    """Frames of ``source`` with the newest prediction drawn on them, encoded to an H.264 MP4 as they come
    (PyAV), at the source's frame rate."""

    def __init__(self, path: str, source: LiveSource) -> None:
        self.path, self.source = path, source
        self.container = self.stream = None
        self.predictions = []
        self.written = 0

    def __call__(self, frame: Frame) -> None:
        import av
        rgb = frame.rgb
        if self.container is None:
            self.container = av.open(self.path, 'w')
            self.stream = self.container.add_stream('libx264', rate=Fraction(self.source.fps).limit_denominator(1001))
            self.stream.width, self.stream.height = even_size((rgb.shape[1], rgb.shape[0]))
            self.stream.pix_fmt = 'yuv420p'
        rgb = draw_predictions(np.ascontiguousarray(rgb[:self.stream.height, :self.stream.width]), self.predictions)
        self.container.mux(self.stream.encode(av.VideoFrame.from_ndarray(rgb, format='rgb24')))
        self.written += 1

    def close(self) -> None:
        if self.container is not None:
            self.container.mux(self.stream.encode())
            self.container.close()


def classify_stream(model: nn.Module, source: LiveSource, window: float, stride: float, topk: int = 5,
                    labels: Optional[Sequence[str]] = None, report: Callable[[dict], None] = print,
                    writer: Optional[LabelledWriter] = None) -> dict:
    """Classify ``source`` (started) until it ends or breaks off for good, or a ``KeyboardInterrupt``.

    Returns:
        ``dict(predictions, received, dropped, latencies (s), error (one line or None), interrupted)``.
    """
    results = dict(predictions=0, received=0, dropped=0, latencies=[], error=None, interrupted=False)
    covered = -1   # the newest frame a window covered
    due = time.monotonic()
    try:
        while not (source.ended.is_set() and source.received - 1 <= covered):
            if source.fps is None or not source.newest(1):
                time.sleep(0.01)
                continue
            span = max(2, round(window * source.fps))
            frames = source.newest(span)
            if len(frames) < span and not source.ended.is_set():   # wait for the first whole window
                time.sleep(0.01)
                continue
            if frames[-1].index <= covered:
                time.sleep(0.005)
                continue
            now = time.monotonic()
            if now < due:
                time.sleep(min(due - now, 0.05))
                continue
            predictions = predict(model, np.stack([frame.rgb for frame in frames]), topk, labels=labels)
            latency = time.monotonic() - frames[-1].arrival
            results['dropped'] += max(0, frames[0].index - covered - 1)
            covered = frames[-1].index
            results['predictions'] += 1
            results['latencies'].append(latency)
            if writer is not None:
                writer.predictions = predictions
            report(dict(start=frames[0].stream_time, end=frames[-1].stream_time, latency=latency,
                        predictions=predictions, dropped=results['dropped']))
            due = now + stride   # from this prediction's start: a late one is not made up for
    except KeyboardInterrupt:
        results['interrupted'] = True
    finally:
        source.stop()
        if writer is not None:
            writer.close()
    results.update(received=source.received, error=source.error)
    return results
