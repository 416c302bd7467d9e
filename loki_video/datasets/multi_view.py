"""Test views (clips x crops per video) of a video config's test pipeline.

A view is one clip of ``clip_len`` frames at one crop position; the
recognizer averages the class scores of all views of a video. ``3x3``
samples 3 clips (``SampleFrames(num_clips=3, test_mode=True)``) and takes
3 crops of each (``ThreeCrop``): 9 views.
"""
import re
from typing import List, Optional, Sequence, Tuple, Union

from mmengine.config import Config

from loki_video.user_error import UserValueError

CROP_TRANSFORMS = {1: 'CenterCrop', 3: 'ThreeCrop', 10: 'TenCrop'}
CROPS_OF_TRANSFORM = {name: crops for crops, name in CROP_TRANSFORMS.items()}

# Test views: ``'CLIPSxCROPS'`` text (e.g. ``'3x3'``) or ``(clips, crops)``.
Views = Union[str, Tuple[int, int]]


def parse_views(text: str) -> Tuple[int, int]:
    """``'3x3'`` -> ``(3, 3)`` (clips, crops)."""
    match = re.fullmatch(r'(\d+)x(\d+)', text.strip())
    if match is None or int(match.group(1)) < 1:
        raise UserValueError(f'views {text!r}: expected CLIPSxCROPS such as 1x1, 3x1 or 3x3')
    clips, crops = int(match.group(1)), int(match.group(2))
    if crops not in CROP_TRANSFORMS:
        raise UserValueError(f'views {text!r}: crops must be one of {sorted(CROP_TRANSFORMS)} '
                             f'({", ".join(CROP_TRANSFORMS.values())})')
    return clips, crops


def get_test_pipeline(cfg: Config) -> List[dict]:
    """The transforms of ``cfg.test_dataloader.dataset`` (a list of dicts, edited in place)."""
    try:
        return cfg.test_dataloader.dataset.pipeline
    except AttributeError as error:
        raise UserValueError('the config has no test_dataloader.dataset.pipeline') from error


def _frame_sampler(pipeline):
    return next((t for t in pipeline if 'num_clips' in t), None)


def _crop_index(pipeline):
    return next((i for i, t in enumerate(pipeline) if t.get('type') in CROPS_OF_TRANSFORM), None)


def count_views(pipeline: Sequence[dict]) -> Optional[Tuple[int, int]]:
    """``(clips, crops)`` that a test pipeline produces per video, or None without a frame sampler."""
    sampler = _frame_sampler(pipeline)
    if sampler is None:
        return None
    clips = sampler['num_clips'] * (2 if sampler.get('twice_sample') else 1)
    index = _crop_index(pipeline)
    crops = 1 if index is None else CROPS_OF_TRANSFORM[pipeline[index]['type']]
    return clips, crops


def set_views(cfg: Config, clips: int, crops: int) -> None:
    """Rewrite the test pipeline of ``cfg`` to sample ``clips`` clips and ``crops`` crops per video.

    The crop keeps the ``crop_size`` of the pipeline's existing
    ``CenterCrop``/``ThreeCrop``/``TenCrop``.
    """
    pipeline = get_test_pipeline(cfg)
    sampler = _frame_sampler(pipeline)
    if sampler is None:
        raise UserValueError('the test pipeline has no frame sampler with num_clips (SampleFrames): '
                             'test views apply to video configs only')
    sampler.update(num_clips=clips, test_mode=True)
    index = _crop_index(pipeline)
    if index is None:
        raise UserValueError('the test pipeline has no CenterCrop, ThreeCrop or TenCrop whose crop_size '
                             'the views could reuse; add one after the Resize')
    pipeline[index] = dict(type=CROP_TRANSFORMS[crops], crop_size=pipeline[index]['crop_size'])
