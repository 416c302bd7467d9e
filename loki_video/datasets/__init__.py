"""Datasets and transforms: the robust video dataset (mmaction2), checked image datasets and
image transforms (mmpretrain), and the synthetic demo data."""
from .checked_dataset import build_checked_dataset
from .clip_flip_crop import ClipFlipCrop
from .clip_lighting import ClipLighting
from .image_transforms import ToBGR
from .robust_video_dataset import RobustVideoDataset
from .video_decode import VideoDecode, VideoInit

__all__ = ['build_checked_dataset', 'ClipFlipCrop', 'ClipLighting', 'RobustVideoDataset', 'ToBGR', 'VideoDecode',
           'VideoInit']
