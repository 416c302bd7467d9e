"""Image transforms that mmpretrain lacks, registered for mmpretrain pipelines."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS

from loki_video.user_error import UserValueError


@TRANSFORMS.register_module()
class ToBGR(BaseTransform):
    """Make an in-memory image a 3-channel BGR array, the order ``LoadImageFromFile`` gives.

    mmpretrain's array datasets skip file loading: CIFAR stores RGB arrays and
    MNIST/Fashion-MNIST grayscale (H, W) arrays. After this transform every
    dataset delivers BGR, so one data preprocessor (``to_rgb=True``) serves all.

    Required Keys:

        - img ((H, W), (H, W, 1) or (H, W, 3))

    Modified Keys:

        - img ((H, W, 3), dtype kept)
        - img_shape
        - ori_shape

    Args:
        channel_order (str): order of 3-channel inputs, ``'rgb'`` (flipped) or ``'bgr'`` (kept).
            Grayscale inputs are repeated on 3 channels. Defaults to ``'bgr'``.
    """

    def __init__(self, channel_order: str = 'bgr') -> None:
        if channel_order not in ('rgb', 'bgr'):
            raise UserValueError(f"ToBGR: channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
        self.channel_order = channel_order

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        if img.shape[-1] == 1:
            img = np.repeat(img, 3, axis=-1)
        elif img.shape[-1] != 3:
            raise UserValueError(f'ToBGR: expected an (H, W), (H, W, 1) or (H, W, 3) image, got {img.shape}')
        elif self.channel_order == 'rgb':
            img = img[..., ::-1]
        results['img'] = np.ascontiguousarray(img)
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(channel_order={self.channel_order!r})'
