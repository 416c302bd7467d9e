"""The input of one view of a config's model, read from its test pipeline.

A video view is one clip of ``T`` frames at ``H x W``: the model takes ``(N, V, 3, T, H, W)``
in ``mode='tensor'`` (mmaction2's Recognizer3D, V views per video). An image view is
``(N, 3, H, W)`` (mmpretrain's ImageClassifier).
"""
from typing import Optional, Sequence, Tuple

from mmengine.config import Config

from loki_video.user_error import UserValueError

from ..datasets.multi_view import count_views, get_test_pipeline

CROPS = ('CenterCrop', 'ThreeCrop', 'TenCrop')


def is_video(cfg: Config) -> bool:
    """Whether ``cfg`` is a video (mmaction2) config."""
    return cfg.get('default_scope', 'mmaction') == 'mmaction'


def _square(size):
    """An int or ``(w, h)`` size as ``(h, w)``."""
    if isinstance(size, int):
        return size, size
    width, height = size
    return height, width


def _frame_size(pipeline, keep_ratio_default):
    """``(h, w)`` of the frames that leave ``pipeline``: the last crop, else the last fixed resize.

    ``keep_ratio_default``: what ``Resize`` does without ``keep_ratio`` (mmaction2's keeps the
    aspect ratio, mmcv's, which mmpretrain uses, does not).
    """
    for transform in reversed(pipeline):
        kind = transform.get('type')
        if kind in CROPS or kind == 'RandomResizedCrop':
            size = transform.get('crop_size', transform.get('scale'))
            if size is not None:
                return _square(size)
        if kind in ('Resize', 'ClipResize', 'ResizeEdge'):
            scale = transform.get('scale')
            if isinstance(scale, int) and kind == 'ResizeEdge':
                return scale, scale
            keep_ratio = transform.get('keep_ratio', keep_ratio_default)
            if isinstance(scale, (tuple, list)) and min(scale) > 0 and not keep_ratio:
                return _square(tuple(scale))
    return None


def view_shape(cfg: Config, shape: Optional[Sequence[int]] = None) -> Tuple[int, ...]:
    """Shape of one view without batch and view axes: ``(3, T, H, W)`` (video) or ``(3, H, W)``.

    Args:
        cfg (Config): a loaded config.
        shape (Sequence[int], optional): ``(T, H, W)`` / ``(H, W)`` to use instead of the test pipeline's.
            Defaults to None.
    """
    video = is_video(cfg)
    if shape is not None:
        if len(shape) != (3 if video else 2):
            raise UserValueError(f'--shape {" ".join(map(str, shape))}: a {"video" if video else "image"} '
                                 f'config takes {"T H W" if video else "H W"}')
        return (3, *shape)
    pipeline = get_test_pipeline(cfg)
    size = _frame_size(pipeline, keep_ratio_default=video)
    if size is None:
        raise UserValueError('cannot read the frame size from the test pipeline (no crop and no fixed '
                             f'resize in {[t.get("type") for t in pipeline]}): pass --shape')
    if not video:
        return (3, *size)
    sampler = next((t for t in pipeline if 'clip_len' in t), None)
    if sampler is None:
        raise UserValueError('the test pipeline has no frame sampler with clip_len: pass --shape T H W')
    return (3, sampler['clip_len'], *size)


def views_per_sample(cfg: Config) -> Tuple[int, int]:
    """``(clips, crops)`` of the test pipeline; ``(1, 1)`` for images."""
    if not is_video(cfg):
        return 1, 1
    return count_views(get_test_pipeline(cfg)) or (1, 1)
