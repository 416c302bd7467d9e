"""Datasets: the robust video dataset (registered in mmaction2) and the synthetic demo data."""
from .robust_video_dataset import RobustVideoDataset

__all__ = ['RobustVideoDataset']
