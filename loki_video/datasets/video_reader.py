"""Reading frames from video files: one small interface, a TorchCodec and a decord backend.

:func:`open_video` opens a file (or its bytes) as a :class:`VideoReader`: its frame count and
frame rate, frames at indices (indexed reads: a seek to a keyframe, then decoding forward), and
frames read in order (decoded from the first frame on). The transforms
(:mod:`loki_video.datasets.transforms.video_decode`), ``tools/data/check_videos.py`` and
``tools/analysis/decoder_benchmark.py`` all read through it.

Backends (measured in data/README.md, "Video decoders"): ``torchcodec`` (exact seek mode; needs
FFmpeg's shared libraries, which ``make system-packages`` installs) and ``decord`` (what mmaction2's
``DecordInit`` opens). ``auto`` prefers TorchCodec where it loads.

On some valid files an indexed read lands wrong and returns other or corrupted frames without an
error (imageio's ``cockatoo.mp4``: decord past frame ~110, TorchCodec too); frames read in order
are always right. :func:`seek_mismatches` finds such files, and ``VideoDecode`` reads the files of
a dataset's ``exact_decode_list`` in order.
"""
import abc
import functools
import io
import math
import re
import sys
from typing import List, Sequence, Union

import numpy as np

from loki_video.user_error import UserValueError

BACKENDS = ('auto', 'torchcodec', 'decord')
# A decoder library's own source location at the start of its messages ("SingleStreamDecoder, /__w/.../x.cpp:41, ").
_SOURCE_LOCATION = re.compile(r'^\w+, \S+\.(?:cpp|cc|h|hpp):\d+, ')


def decode_failure(error: Exception) -> str:
    """Why a video could not be read, in one line for a person: the error's type and the first line
    of its message, without the decoder library's source location."""
    lines = str(error).strip().splitlines()
    return f'{type(error).__name__}: ' + _SOURCE_LOCATION.sub('', lines[0] if lines else '')


@functools.lru_cache(maxsize=None)
def torchcodec_error() -> str:
    """Why TorchCodec cannot decode here ('' when it can): not installed, or FFmpeg's shared
    libraries missing (it loads them on import)."""
    try:
        from torchcodec.decoders import VideoDecoder  # noqa: F401
    except ImportError as error:
        return f'torchcodec is not installed ({error})'
    except (OSError, RuntimeError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return ("torchcodec cannot load FFmpeg's shared libraries (Debian: make system-packages, or "
                f'apt-get install ffmpeg): {first_line}')
    return ''


def resolve_backend(backend: str) -> str:
    """``'torchcodec'`` or ``'decord'`` for a backend of :data:`BACKENDS`; ``'auto'`` prefers TorchCodec.

    Raises:
        ValueError: an unknown backend, or ``'torchcodec'`` where it cannot decode (with the reason).
    """
    if backend not in BACKENDS:
        raise UserValueError(f'video backend {backend!r} is not one of {BACKENDS}')
    if backend == 'auto':
        return 'decord' if torchcodec_error() else 'torchcodec'
    if backend == 'torchcodec' and torchcodec_error():
        raise UserValueError(f"video backend 'torchcodec' but {torchcodec_error()}; or choose backend='decord'")
    return backend


def one_torch_thread() -> None:
    """Initializer of a pool of processes that decode: a forked worker of a process that already ran torch
    on OpenMP threads would hang in its first parallel torch op (torchcodec decodes through torch), so
    workers use one thread, as torch's DataLoader workers do."""
    if 'torch' in sys.modules:
        sys.modules['torch'].set_num_threads(1)


class VideoReader(abc.ABC):
    """An open video. Frames are ``(H, W, 3)`` uint8 RGB arrays, returned in the order of the
    indices asked for (any order, repeats allowed).

    Attributes:
        backend (str): ``'torchcodec'`` or ``'decord'``.
        num_frames (int): frames in the video.
        fps (float): average frame rate.
    """
    backend = ''

    def __init__(self, num_frames: int, fps: float) -> None:
        self.num_frames, self.fps = num_frames, fps

    @abc.abstractmethod
    def frames_at(self, indices: Sequence[int]) -> List[np.ndarray]:
        """Indexed reads: each frame through a seek to a keyframe before it (fast; wrong on rare files)."""

    @abc.abstractmethod
    def frames_in_order(self, indices: Sequence[int]) -> List[np.ndarray]:
        """The same frames decoded from the first frame on, without seeking (always right)."""


class TorchCodecReader(VideoReader):
    """A TorchCodec ``VideoDecoder`` in exact seek mode."""
    backend = 'torchcodec'

    def __init__(self, source: Union[str, bytes], num_threads: int = 1) -> None:
        from torchcodec.decoders import VideoDecoder
        self.decoder = VideoDecoder(source, seek_mode='exact', dimension_order='NHWC', num_ffmpeg_threads=num_threads)
        super().__init__(self.decoder.metadata.num_frames, self.decoder.metadata.average_fps)

    def frames_at(self, indices: Sequence[int]) -> List[np.ndarray]:
        return list(self.decoder.get_frames_at([int(i) for i in indices]).data.numpy())

    def frames_in_order(self, indices: Sequence[int]) -> List[np.ndarray]:
        """One ``get_frames_in_range`` call from frame 0, with the largest step that reaches every
        index: it holds up to ``max(indices) + 1`` frames at once (a 10 s Kinetics clip: about 80 MB)."""
        wanted = [int(i) for i in indices]
        step = math.gcd(*wanted) or 1
        frames = self.decoder.get_frames_in_range(0, max(wanted) + 1, step).data.numpy()
        return [frames[i // step] for i in wanted]


class DecordReader(VideoReader):
    """A ``decord.VideoReader``."""
    backend = 'decord'

    def __init__(self, source: Union[str, bytes], num_threads: int = 1) -> None:
        import decord
        self.reader = decord.VideoReader(io.BytesIO(source) if isinstance(source, bytes) else source,
                                         num_threads=num_threads)
        super().__init__(len(self.reader), self.reader.get_avg_fps())

    def frames_at(self, indices: Sequence[int]) -> List[np.ndarray]:
        return list(self.reader.get_batch([int(i) for i in indices]).asnumpy())

    def frames_in_order(self, indices: Sequence[int]) -> List[np.ndarray]:
        """``seek(0)``, then ``next()`` frame by frame up to the last index; keeps only the frames asked for."""
        wanted = {int(i) for i in indices}
        frames = {}
        self.reader.seek(0)
        for index in range(max(wanted) + 1):
            frame = self.reader.next()
            if index in wanted:
                frames[index] = frame.asnumpy()
        return [frames[int(i)] for i in indices]


READERS = {'torchcodec': TorchCodecReader, 'decord': DecordReader}


def open_video(source: Union[str, bytes], backend: str = 'auto', num_threads: int = 1) -> VideoReader:
    """Open a video file (a path, or its bytes) with a backend of :data:`BACKENDS`.

    Raises:
        ValueError: the backend cannot decode here (see :func:`resolve_backend`); whatever the
            decoder raises on a file it cannot open.
    """
    return READERS[resolve_backend(backend)](source, num_threads)


def spread_indices(num_frames: int, count: int) -> List[int]:
    """``count`` frame indices spread evenly over a video, its first and last frames included."""
    return sorted(set(np.linspace(0, num_frames - 1, max(1, min(count, num_frames))).round().astype(int).tolist()))


def differing_frames(path: str, clips: Sequence[Sequence[int]], frames: Sequence[Sequence[np.ndarray]]) -> List[int]:
    """The indices whose frame in ``frames`` (one list per clip of ``clips``) differs from the frame
    decord reads in order: the reference every decoder is checked against."""
    wanted = sorted({int(i) for clip in clips for i in clip})
    reference = dict(zip(wanted, open_video(path, 'decord').frames_in_order(wanted)))
    return [int(index) for clip, got in zip(clips, frames) for index, frame in zip(clip, got)
            if not np.array_equal(frame, reference[int(index)])]


def seek_mismatches(path: str, samples: int = 8, backend: str = 'auto') -> dict:
    """Read ``samples`` frames spread over the video by index, each with a fresh reader (as a
    DataLoader worker opens one per clip), and compare them with the frames read in order.

    Returns:
        ``dict(checked=[indices], wrong=[indices whose frames differ])``.
    Raises:
        whatever the decoder raises on a file it cannot read.
    """
    checked = spread_indices(open_video(path, backend).num_frames, samples)
    frames = [open_video(path, backend).frames_at([index]) for index in checked]
    return dict(checked=checked, wrong=differing_frames(path, [[index] for index in checked], frames))
