"""Tuning modules and the freeze policy.

A slot in a block is filled from a config such as ``dict(type='LoKi', r1=1/8)``;
``build_tuning_module`` adds the token width and builds it from mmengine's ``MODELS`` registry,
where ``LoKi``, ``Adapter`` and ``KANAdapter`` are registered. A module of one's own registered
there (or in mmaction2's or mmpretrain's ``MODELS``) and imported through the config's
``custom_imports`` fills a slot the same way (docs/configs.md, "A tuning module of your own").
"""
from typing import Optional

from mmengine.registry import MODELS
from torch import nn

from loki_video.user_error import UserKeyError

from .adapter import Adapter
from .freeze_policy import apply_freeze_policy
from .kan import KAN, KANLinear
from .kan_adapter import KANAdapter
from .loki import LoKi
from .lora import LoRALinear, add_lora_to_attention
from .parameter_count import count_parameters, format_parameter_report
from .prompt import PromptTokens

BUILT_IN = ('Adapter', 'KANAdapter', 'LoKi')


def build_tuning_module(cfg: Optional[dict], dim: int) -> Optional[nn.Module]:
    """Build a slot module from ``cfg`` (``dict(type=..., **options)``) at width ``dim`` through
    ``MODELS`` (the current default scope's registry and its parents); None stays None.

    The module takes the token width as ``dim`` and maps ``(..., dim)`` to ``(..., dim)``.
    """
    if cfg is None:
        return None
    kind = dict(cfg).get('type')
    with MODELS.switch_scope_and_registry(None) as registry:   # as MODELS.build looks it up
        known = isinstance(kind, type) or registry.get(kind) is not None
    if not known:
        raise UserKeyError(f'unknown tuning module type {kind!r} in slot config {cfg}; choose from '
                           f'{list(BUILT_IN)}, a module registered in MODELS and imported through the '
                           "config's custom_imports, or None")
    return MODELS.build(dict(cfg, dim=dim))


__all__ = ['Adapter', 'KAN', 'KANLinear', 'KANAdapter', 'LoKi', 'LoRALinear', 'PromptTokens',
           'add_lora_to_attention', 'apply_freeze_policy', 'build_tuning_module',
           'count_parameters', 'format_parameter_report']
