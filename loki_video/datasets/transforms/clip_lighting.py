"""PCA lighting noise on a whole clip: what ``ColorJitter()`` did in AIM's code base.

AIM's ViT-L/14 configs add ``dict(type='ColorJitter')`` to the Kinetics training pipeline. In
the mmaction2 0.x that AIM builds on, ``ColorJitter`` with its defaults
(``color_space_aug=False, alpha_std=0.1``) only adds AlexNet-style PCA lighting noise: one RGB
offset per clip, ``eig_vec @ (alpha * eig_val)`` with ``alpha ~ N(0, alpha_std)`` per component,
added to every frame. mmaction2 1.x's ``ColorJitter`` is a different transform (brightness,
contrast, saturation and hue); :class:`ClipLighting` is AIM's.
"""
from typing import Dict, Sequence

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

# ImageNet RGB eigenvalues (pixel range 0-255) and eigenvectors, as in AIM's code base.
EIG_VAL = (55.46, 4.794, 1.148)
EIG_VEC = ((-0.5675, 0.7192, 0.4009), (-0.5808, -0.0045, -0.8140), (-0.5836, -0.6948, 0.4203))


@TRANSFORMS.register_module()
class ClipLighting(BaseTransform):
    """Add one PCA lighting offset per clip to every frame.

    Required Keys:

        - imgs (a list of ``(H, W, 3)`` RGB frames)

    Modified Keys:

        - imgs (float32)

    Added Keys:

        - lighting (the offset, ``(3,)``)

    Args:
        alpha_std (float): standard deviation of the weight of each principal component.
            Defaults to 0.1.
        eig_val (Sequence[float]): eigenvalues of the pixel colours' PCA (RGB, 0-255).
            Defaults to ImageNet's (``EIG_VAL``).
        eig_vec (Sequence[Sequence[float]]): its eigenvectors. Defaults to ImageNet's (``EIG_VEC``).
    """

    def __init__(self, alpha_std: float = 0.1, eig_val: Sequence[float] = EIG_VAL,
                 eig_vec: Sequence[Sequence[float]] = EIG_VEC) -> None:
        self.alpha_std = alpha_std
        self.eig_val = np.asarray(eig_val, dtype=np.float64)
        self.eig_vec = np.asarray(eig_vec, dtype=np.float64)

    def transform(self, results: Dict) -> Dict:
        alpha = np.random.normal(0, self.alpha_std, size=3)
        offset = (self.eig_vec * alpha) @ self.eig_val
        results['imgs'] = [frame.astype(np.float32) + offset.astype(np.float32) for frame in results['imgs']]
        results['lighting'] = offset
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(alpha_std={self.alpha_std})'
