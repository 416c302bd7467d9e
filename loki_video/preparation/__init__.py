"""Datasets re-encoded for cheap random access (``tools/data/prepare_videos.py``, docs/data.md)."""
from .dataset_preparation import prepare_dataset
from .video_preparation import EncodingSettings, UnusableSource, prepare_video

__all__ = ['EncodingSettings', 'UnusableSource', 'prepare_dataset', 'prepare_video']
