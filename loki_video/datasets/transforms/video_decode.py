"""Video decoding transforms: open a video (:class:`VideoInit`), read the sampled frames
(:class:`VideoDecode`), through :mod:`loki_video.datasets.video_reader`. They take the places of
mmaction2's ``DecordInit`` and ``DecordDecode`` in a pipeline::

    dict(type='VideoInit'),                 # backend='auto': TorchCodec if it loads, else decord
    dict(type='SampleFrames', clip_len=8, frame_interval=16, num_clips=1),
    dict(type='VideoDecode'),
"""
from typing import Dict, Optional

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform
from mmengine import fileio

from ..video_reader import open_video, resolve_backend


@TRANSFORMS.register_module()
class VideoInit(BaseTransform):
    """Open a video with TorchCodec or decord.

    Required Keys:

        - filename

    Added Keys:

        - video_reader (:class:`~loki_video.datasets.video_reader.VideoReader`)
        - total_frames
        - avg_fps

    Args:
        backend (str): ``'auto'`` (TorchCodec where it loads, else decord), ``'torchcodec'`` or
            ``'decord'``. Defaults to ``'auto'``.
        num_threads (int): decoding threads per video. Defaults to 1.
        backend_args (dict, optional): mmengine file backend arguments (e.g. for object storage); the
            file's bytes are then read through ``mmengine.fileio.get``. Defaults to None: the
            decoder opens the local path.
    """

    def __init__(self, backend: str = 'auto', num_threads: int = 1, backend_args: Optional[dict] = None) -> None:
        self.backend = resolve_backend(backend)
        self.num_threads = num_threads
        self.backend_args = backend_args

    def transform(self, results: Dict) -> Dict:
        source = results['filename']
        if self.backend_args is not None:
            source = fileio.get(source, backend_args=self.backend_args)
        reader = open_video(source, self.backend, self.num_threads)
        results.update(video_reader=reader, total_frames=reader.num_frames, avg_fps=reader.fps)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(backend={self.backend}, num_threads={self.num_threads})'


@TRANSFORMS.register_module()
class VideoDecode(BaseTransform):
    """Read the sampled frames from the reader :class:`VideoInit` opened: by index, or, for a
    sample whose ``exact_decode`` key is true (``RobustVideoDataset(exact_decode_list=...)`` sets
    it), in order from the first frame on.

    Required Keys:

        - video_reader
        - frame_inds

    Optional Keys:

        - exact_decode

    Added Keys:

        - imgs (a list of ``(H, W, 3)`` uint8 RGB frames)
        - original_shape
        - img_shape

    Modified Keys:

        - video_reader (set to None: the file is closed)
        - frame_inds (squeezed to one dimension)
    """

    def transform(self, results: Dict) -> Dict:
        reader = results['video_reader']
        results['frame_inds'] = frame_inds = np.asarray(results['frame_inds']).reshape(-1)
        read = reader.frames_in_order if results.get('exact_decode') else reader.frames_at
        imgs = read(frame_inds)
        results['video_reader'] = None
        results.update(imgs=imgs, original_shape=imgs[0].shape[:2], img_shape=imgs[0].shape[:2])
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'
