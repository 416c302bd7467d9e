"""One freeze policy for every method.

A parameter belongs to exactly one *report group*, found from its name:
the tuning slots of the blocks, LoRA, prompts, the temporal embedding, the
final norm, the classification head, or the pretrained rest. A method says
which *trainable groups* learn; everything else gets ``requires_grad=False``.
"""
from typing import Sequence

from torch import nn

from loki_video.user_error import UserValueError

SLOT_GROUPS = ('temporal_in_slot', 'temporal_slot', 'spatial_slot', 'mlp_slot')
REPORT_GROUPS = SLOT_GROUPS + ('lora', 'prompt', 'temporal_embed', 'final_norm', 'head', 'pretrained')
TRAINABLE_GROUPS = ('slots', 'lora', 'prompt', 'temporal_embed', 'final_norm', 'bias', 'all')


def report_group(name: str) -> str:
    """The report group of a parameter named as in ``model.named_parameters()``.

    Works on backbone names (``blocks.0.mlp_slot.fc1.weight``) and on full
    recognizer/classifier names (``backbone.norm.weight``, ``cls_head.fc_cls.weight``).
    """
    parts = name.split('.')
    for slot in SLOT_GROUPS:
        if slot in parts:
            return slot
    if parts[-1].startswith('lora_'):
        return 'lora'
    if 'prompt' in parts:
        return 'prompt'
    if parts[-1] == 'temporal_embed':
        return 'temporal_embed'
    if parts[0] in ('head', 'cls_head') or parts[:2] == ['backbone', 'head']:
        return 'head'
    if parts[:2] == ['backbone', 'norm'] or parts[0] == 'norm':
        return 'final_norm'
    return 'pretrained'


def is_trainable(name: str, trainable: Sequence[str]) -> bool:
    """Whether the parameter ``name`` learns under the trainable groups ``trainable``."""
    if 'all' in trainable:
        return True
    group = report_group(name)
    if 'bias' in trainable and name.endswith('bias'):
        return True
    if 'slots' in trainable and group in SLOT_GROUPS:
        return True
    return group in trainable


def apply_freeze_policy(module: nn.Module, trainable: Sequence[str]) -> None:
    """Set ``requires_grad`` of every parameter of ``module`` from ``trainable``.

    Args:
        module (nn.Module): a backbone (the head lives outside it and always trains).
        trainable (Sequence[str]): iterable of names from ``TRAINABLE_GROUPS``.
    """
    trainable = tuple(trainable)
    unknown = set(trainable) - set(TRAINABLE_GROUPS)
    if unknown:
        raise UserValueError(f'unknown trainable group(s) {sorted(unknown)}; '
                             f'choose from {TRAINABLE_GROUPS}')
    for name, param in module.named_parameters():
        param.requires_grad_(is_trainable(name, trainable))
