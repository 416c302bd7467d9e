"""Tuning modules and the freeze policy.

A slot in a block is filled from a config such as ``dict(type='LoKi', r1=1/8)``;
``build_tuning_module`` adds the token width.
"""
from .adapter import Adapter
from .kan import KAN, KANLinear
from .kan_adapter import KANAdapter
from .lora import LoRALinear, add_lora_to_attention
from .loki import LoKi
from .policy import apply_freeze_policy, count_parameters, format_parameter_report
from .prompt import PromptTokens

TUNING_MODULES = {'LoKi': LoKi, 'Adapter': Adapter, 'KANAdapter': KANAdapter}


def build_tuning_module(cfg, dim):
    """Build a slot module from ``cfg`` (``dict(type=..., **options)``) at width ``dim``; None stays None."""
    if cfg is None:
        return None
    options = dict(cfg)
    kind = options.pop('type', None)
    if kind not in TUNING_MODULES:
        raise KeyError(f'unknown tuning module type {kind!r} in slot config {cfg}; '
                       f'choose from {sorted(TUNING_MODULES)} or None')
    return TUNING_MODULES[kind](dim, **options)


__all__ = ['Adapter', 'KAN', 'KANLinear', 'KANAdapter', 'LoKi', 'LoRALinear', 'PromptTokens',
           'TUNING_MODULES', 'add_lora_to_attention', 'apply_freeze_policy', 'build_tuning_module',
           'count_parameters', 'format_parameter_report']
