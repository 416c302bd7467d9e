"""Transforms, registered in mmaction2's (video) and mmpretrain's (image) ``TRANSFORMS``."""
from .clip_flip_crop import ClipFlipCrop
from .clip_lighting import ClipLighting
from .clip_resize import ClipResize
from .to_bgr import ToBGR
from .video_decode import VideoDecode, VideoInit

__all__ = ['ClipFlipCrop', 'ClipLighting', 'ClipResize', 'ToBGR', 'VideoDecode', 'VideoInit']
