"""Video decoding transforms: TorchCodec where it is installed, decord otherwise, frame-exact for
listed files.

``VideoInit`` opens a video with the chosen backend and ``VideoDecode`` reads the sampled frames
from it; they take the places of mmaction2's ``DecordInit`` and ``DecordDecode`` in a pipeline:

    dict(type='VideoInit'),                 # backend='auto': torchcodec if it loads, else decord
    dict(type='SampleFrames', clip_len=8, frame_interval=16, num_clips=1),
    dict(type='VideoDecode'),

Backends (measured in data/README.md, "Video decoders"):

* ``torchcodec``: ``VideoDecoder(seek_mode='exact')``; needs FFmpeg's shared libraries (``make
  system-packages`` installs Debian's). On clean files it returns the frames decord returns.
* ``decord``: what mmaction2's ``DecordInit`` opens, kept for every setup.

Any decoder reads frame ``i`` by seeking to a keyframe before it and decoding forward, and on some
valid files that seek lands wrong (see :mod:`loki_video.datasets.exact_decode`). ``VideoDecode``
decodes a sample whose ``exact_decode`` key is true (``RobustVideoDataset(exact_decode_list=...)``
sets it) from the first frame on instead, with either backend.
"""
import functools
import io
import re
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmaction.datasets.transforms import DecordDecode
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform
from mmengine import fileio

from .exact_decode import sequential_frames

BACKENDS = ('auto', 'torchcodec', 'decord')
# A decoder library's own source location at the start of its messages ("SingleStreamDecoder, /__w/.../x.cpp:41, ").
_SOURCE_LOCATION = re.compile(r'^\w+, \S+\.(?:cpp|cc|h|hpp):\d+, ')
# Frames decoded at a time when a torchcodec video is read from its start (bounds the memory).
SEQUENTIAL_CHUNK = 32


def decode_failure(error: Exception) -> str:
    """Why a video could not be read, in one line for a person: the error's type and the first line
    of its message, without the decoder library's source location."""
    lines = str(error).strip().splitlines()
    return f'{type(error).__name__}: ' + _SOURCE_LOCATION.sub('', lines[0] if lines else '')


@functools.lru_cache(maxsize=None)
def torchcodec_error() -> str:
    """Why torchcodec cannot decode here ('' when it can): not installed, or FFmpeg's shared
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
    """``'torchcodec'`` or ``'decord'`` for a ``VideoInit`` backend; ``'auto'`` prefers torchcodec.

    Raises:
        ValueError: an unknown backend, or ``'torchcodec'`` where it cannot decode (with the reason).
    """
    if backend not in BACKENDS:
        raise ValueError(f'VideoInit: backend={backend!r} is not one of {BACKENDS}')
    if backend == 'auto':
        return 'decord' if torchcodec_error() else 'torchcodec'
    if backend == 'torchcodec' and torchcodec_error():
        raise ValueError(f'VideoInit: backend=\'torchcodec\' but {torchcodec_error()}; '
                         "or choose backend='decord'")
    return backend


def torchcodec_sequential_frames(decoder, indices: Sequence[int]) -> List[np.ndarray]:
    """Frames at ``indices`` decoded from frame 0 on in chunks of ``SEQUENTIAL_CHUNK`` (one
    decoding pass, no seek after the first frame): ``(H, W, 3)`` uint8 arrays in ``indices`` order."""
    wanted = sorted(set(int(i) for i in indices))
    frames = {}
    for start in range(0, wanted[-1] + 1, SEQUENTIAL_CHUNK):
        stop = min(start + SEQUENTIAL_CHUNK, wanted[-1] + 1)
        keep = [i for i in wanted if start <= i < stop]
        if keep:
            chunk = decoder.get_frames_in_range(start, stop).data.numpy()
            frames.update((i, chunk[i - start]) for i in keep)
        else:  # decode through the chunk all the same: skipping it would mean a seek
            decoder.get_frames_in_range(start, stop)
    return [frames[int(i)] for i in indices]


@TRANSFORMS.register_module()
class VideoInit(BaseTransform):
    """Open ``filename`` with torchcodec or decord. Adds ``video_reader``, ``total_frames``, ``avg_fps``.

    Args:
        backend: ``'auto'`` (torchcodec where it loads, else decord), ``'torchcodec'`` or ``'decord'``.
        num_threads: decoding threads per video.
        backend_args: mmengine file backend arguments (e.g. for object storage); the file's bytes
            are then read through ``mmengine.fileio.get``. None: the decoder opens the local path.
    """

    def __init__(self, backend: str = 'auto', num_threads: int = 1, backend_args: Optional[dict] = None) -> None:
        self.backend = resolve_backend(backend)
        self.num_threads = num_threads
        self.backend_args = backend_args

    def transform(self, results: Dict) -> Dict:
        source = results['filename']
        if self.backend_args is not None:
            source = fileio.get(source, backend_args=self.backend_args)
        if self.backend == 'decord':
            import decord
            reader = decord.VideoReader(io.BytesIO(source) if isinstance(source, bytes) else source,
                                        num_threads=self.num_threads)
            total_frames, avg_fps = len(reader), reader.get_avg_fps()
        else:
            from torchcodec.decoders import VideoDecoder
            reader = VideoDecoder(source, seek_mode='exact', dimension_order='NHWC',
                                  num_ffmpeg_threads=self.num_threads)
            total_frames, avg_fps = reader.metadata.num_frames, reader.metadata.average_fps
        results.update(video_reader=reader, total_frames=total_frames, avg_fps=avg_fps)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(backend={self.backend}, num_threads={self.num_threads})'


@TRANSFORMS.register_module()
class VideoDecode(DecordDecode):
    """Read ``frame_inds`` from ``video_reader`` (opened by ``VideoInit`` or ``DecordInit``).

    A sample whose ``exact_decode`` key is true is decoded from its first frame on. Adds ``imgs``
    (a list of ``(H, W, 3)`` uint8 RGB frames), ``original_shape``, ``img_shape``.
    """

    def __init__(self) -> None:
        super().__init__(mode='accurate')

    def transform(self, results: Dict) -> Dict:
        self._sequential = bool(results.get('exact_decode'))
        return super().transform(results)

    def _decord_load_frames(self, container, frame_inds: np.ndarray) -> List[np.ndarray]:
        if type(container).__module__.startswith('torchcodec'):
            if self._sequential:
                return torchcodec_sequential_frames(container, frame_inds)
            return list(container.get_frames_at(np.asarray(frame_inds).tolist()).data.numpy())
        if self._sequential:
            return sequential_frames(container, frame_inds)
        return super()._decord_load_frames(container, frame_inds)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'
