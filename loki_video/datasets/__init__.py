"""Datasets and transforms: the robust video dataset (mmaction2), checked image datasets (mmpretrain),
reading video files (:mod:`.video_reader`), the transforms (:mod:`.transforms`), the sampler that
resumes mid-epoch and the synthetic demo data."""
from .checked_dataset import build_checked_dataset
from .resumable_sampler import ResumableSampler
from .robust_video_dataset import RobustVideoDataset
from .transforms import ClipFlipCrop, ClipLighting, ToBGR, VideoDecode, VideoInit

__all__ = ['build_checked_dataset', 'ClipFlipCrop', 'ClipLighting', 'ResumableSampler', 'RobustVideoDataset', 'ToBGR',
           'VideoDecode', 'VideoInit']
