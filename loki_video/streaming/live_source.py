"""Frames of a live source, as they arrive: a camera, a network stream, or a file played at its own rate.

:class:`LiveSource` decodes the source through PyAV (FFmpeg) in a thread of its own and keeps only the
newest ``seconds`` of frames: a reader slower than the source loses the oldest frames, it never queues
them. Each frame carries its number, its time in the stream and the moment it arrived. A file is paced
to its frame rate as if it were live (its end ends the source); a camera (``/dev/video0``, through
FFmpeg's v4l2 input) or a network stream (``rtsp://``, ``http://``...) is read as fast as it comes, and
when it breaks off it is opened again, up to ``reconnects`` times in a row, before the source gives up
with one line in :attr:`LiveSource.error`.
"""
import collections
import math
import os
import threading
import time
from typing import Callable, List, NamedTuple, Optional

import numpy as np

from loki_video.datasets.video_reader import decode_failure


class Frame(NamedTuple):
    """One frame: its number from the first (``index``), its stream time (s), its arrival
    (``time.monotonic()``) and the pixels, ``(H, W, 3)`` uint8 RGB."""
    index: int
    stream_time: float
    arrival: float
    rgb: np.ndarray


def is_live(source: str) -> bool:
    """Whether ``source`` is a camera or a network stream rather than a file."""
    return source.startswith('/dev/video') or '://' in source


class LiveSource:
    """A source read in a thread (module docstring).

    Args:
        source (str): a camera device, a stream URL or a video file.
        seconds (float): the newest frames kept cover this many seconds (at the source's frame rate).
        reconnects (int): times a live source is opened again in a row after it broke off. Defaults to 3.
        retry_seconds (float): wait before opening it again. Defaults to 1.
        timeout (float): seconds a network read may block. Defaults to 10.
        on_frame (callable, optional): called with each :class:`Frame` in the reading thread (e.g. to
            write it out).

    Attributes:
        received (int): frames that arrived. fps (float): the source's frame rate, once opened.
        reconnected (int): times a live source was opened again. error (str): why it gave up, or None.
    """

    def __init__(self, source: str, seconds: float, reconnects: int = 3, retry_seconds: float = 1.0,
                 timeout: float = 10.0, on_frame: Optional[Callable[[Frame], None]] = None) -> None:
        if not is_live(source) and not os.path.isfile(source):
            from loki_video.user_error import UserFileError
            raise UserFileError(f'{source}: no such video file, camera or stream URL')
        self.source, self.reconnects, self.retry_seconds, self.timeout = source, reconnects, retry_seconds, timeout
        self.on_frame = on_frame
        self.seconds = seconds
        self.frames = collections.deque(maxlen=2)
        self.received, self.fps, self.error, self.reconnected = 0, None, None, 0
        self.ended = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name='live-source', daemon=True)

    def start(self) -> 'LiveSource':
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop reading and wait for the thread (its ``on_frame`` calls are over when this returns)."""
        self._stop.set()
        self._thread.join()

    def newest(self, count: int) -> List[Frame]:
        """The newest ``count`` frames (fewer at the start), oldest first."""
        with self._lock:
            return list(self.frames)[-count:]

    def _open(self):
        import av
        options = {'fflags': 'nobuffer', 'analyzeduration': '500000'} if is_live(self.source) else {}
        if '://' in self.source:
            options['rw_timeout'] = str(int(self.timeout * 1e6))   # microseconds
        container = av.open(self.source, format='v4l2' if self.source.startswith('/dev/video') else None,
                            options=options, timeout=self.timeout if is_live(self.source) else None)
        stream = container.streams.video[0]
        stream.thread_type = 'AUTO'
        rate = stream.average_rate or stream.guessed_rate
        self.fps = float(rate) if rate else 25.   # a stream that states no rate: assume PAL's
        with self._lock:
            self.frames = collections.deque(self.frames, maxlen=max(2, math.ceil(self.seconds * self.fps) + 1))
        return container, stream

    def _read(self, container, stream, started: float) -> None:
        """Decode until the end or a stop."""
        first = None
        for frame in container.decode(stream):
            if self._stop.is_set():
                return
            stream_time = float(frame.time) if frame.time is not None else self.received / self.fps
            first = stream_time if first is None else first
            if not is_live(self.source):   # a file: wait until its frame is due
                delay = started + (stream_time - first) - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    return
            item = Frame(self.received, stream_time, time.monotonic(), frame.to_ndarray(format='rgb24'))
            with self._lock:
                self.frames.append(item)
                self.received += 1
            if self.on_frame is not None:
                self.on_frame(item)

    def _run(self) -> None:
        attempts = 0   # reopenings in a row that brought no frame
        try:
            while not self._stop.is_set():
                before = self.received
                try:
                    container, stream = self._open()
                    with container:
                        self._read(container, stream, time.monotonic())
                    if not is_live(self.source) or self._stop.is_set():
                        if self.received == 0:
                            self.error = f'{self.source}: no frame decodes'
                        return
                    reason = 'the stream ended'
                except Exception as error:  # noqa: BLE001 - whatever FFmpeg raises on a source that breaks off
                    if not is_live(self.source):
                        self.error = f'{self.source}: {decode_failure(error)}'
                        return
                    reason = decode_failure(error)
                if self.received > before:
                    attempts = 0
                if attempts == self.reconnects:
                    self.error = (f'{self.source}: {reason}; gave up after {self.reconnects} reconnects '
                                  f'({self.received} frames received)')
                    return
                attempts += 1
                self.reconnected += 1
                if self._stop.wait(self.retry_seconds):
                    return
        finally:
            self.ended.set()
