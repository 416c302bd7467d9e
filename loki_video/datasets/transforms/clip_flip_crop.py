"""The first two steps of imgaug's ``RandAugment``, on a whole clip: AIM's SSv2 recipe without imgaug.

AIM trains Something-Something v2 with ``Imgaug(transforms=[dict(type='RandAugment', n=4, m=7)])``
applied to every frame of a clip with one set of random values. imgaug's ``RandAugment`` always
runs a horizontal flip (p 0.5) and a crop first, and only then ``n`` of its operations: each side
is cropped by ``Uniform(0, m) / 224`` of the frame's size (sides drawn independently), and the frame
is resized back to its size (bilinear). :class:`ClipFlipCrop` does these two steps; mmaction2's
``TorchVisionWrapper(op='RandAugment', num_ops=4, magnitude=7)`` then draws the operations, also
once per clip. imgaug itself is unmaintained and breaks on numpy >= 1.24.

The flip swaps left and right, which some SSv2 labels name ("pushing something from left to
right"): AIM's runs flipped all the same; ``flip_ratio=0`` turns it off (docs/configs.md).
"""
from typing import Dict

import cv2
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from loki_video.user_error import UserValueError


@TRANSFORMS.register_module()
class ClipFlipCrop(BaseTransform):
    """Flip a clip horizontally with ``flip_ratio``, crop up to ``max_crop / reference_size`` of the
    frame size from each side and resize back; one draw per clip, every frame transformed alike.

    Required Keys:

        - imgs (a list of ``(H, W, C)`` frames)

    Modified Keys:

        - imgs (sizes unchanged)

    Added Keys:

        - flip_crop (``dict(flip=bool, crop=(top, right, bottom, left))`` in pixels)

    Args:
        flip_ratio (float): probability of the horizontal flip. Defaults to 0.5 (imgaug's RandAugment).
        max_crop (float): ``m``, the largest crop per side in pixels of a ``reference_size`` frame.
            Defaults to 7.
        reference_size (int): frame size ``max_crop`` refers to. Defaults to 224 (imgaug's).
    """

    def __init__(self, flip_ratio: float = 0.5, max_crop: float = 7, reference_size: int = 224) -> None:
        if not 0 <= flip_ratio <= 1 or max_crop < 0:
            raise UserValueError(f'ClipFlipCrop: flip_ratio must be in [0, 1] and max_crop >= 0, '
                                 f'got {flip_ratio}, {max_crop}')
        self.flip_ratio = flip_ratio
        self.max_crop = max_crop
        self.reference_size = reference_size

    def transform(self, results: Dict) -> Dict:
        height, width = results['imgs'][0].shape[:2]
        flip = bool(np.random.rand() < self.flip_ratio)
        fractions = np.random.uniform(0, self.max_crop, size=4) / self.reference_size
        top, right, bottom, left = (int(round(f * side)) for f, side in zip(fractions, (height, width, height, width)))
        frames = []
        for frame in results['imgs']:
            if flip:
                frame = frame[:, ::-1]
            frame = frame[top:height - bottom, left:width - right]
            frames.append(cv2.resize(np.ascontiguousarray(frame), (width, height), interpolation=cv2.INTER_LINEAR))
        results['imgs'] = frames
        results['flip_crop'] = dict(flip=flip, crop=(top, right, bottom, left))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(flip_ratio={self.flip_ratio}, max_crop={self.max_crop}, '
                f'reference_size={self.reference_size})')
