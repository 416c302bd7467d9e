"""Backbones, registered for both mmaction2 and mmpretrain configs."""
from mmaction.registry import MODELS as MMACTION_MODELS
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS

from .archs import ARCHS
from .tunable_vit import TunableViT

MMACTION_MODELS.register_module(module=TunableViT)
MMPRETRAIN_MODELS.register_module(module=TunableViT)

__all__ = ['ARCHS', 'TunableViT']
