"""Every checkpoint format the backbone loads, detected from the keys and converted to its own.

Formats:

* OpenAI CLIP: the TorchScript archive ``ViT-B-16.pt`` (fp16, ``visual.*``)
  or a state dict with ``visual.*`` keys (also what open_clip saves for its
  CLIP-native towers).
* open_clip with a timm trunk: ``visual.trunk.*``.
* timm ViT state dicts (``.pth`` or ``.safetensors``): ``cls_token``, ``blocks.*``.
* AIM official checkpoints: ``backbone.transformer.resblocks.*`` with
  ``S_Adapter``/``T_Adapter``/``T_Adapter_in``/``MLP_Adapter`` and
  ``backbone.temporal_embedding`` (AIM's ``vit_clip.py``). The backbone takes
  its part; ``convert_to_recognizer`` also maps ``cls_head`` for ``load_from``.
* loki_video checkpoints: ``backbone.*`` (full or tunable-only).

OpenAI, open_clip and timm keys are converted by timm's public ``checkpoint_filter_fn`` (which
also resamples a positional embedding of another grid); AIM's module names are first renamed to
ours under OpenAI's layout. Files are read by :mod:`.safe_read`: no format runs code from the file.
"""
import os
from typing import Dict, Tuple

import torch
from timm.models.vision_transformer import checkpoint_filter_fn

from loki_video.user_error import UserValueError

from .safe_read import read_checkpoint_file

# AIM module names -> ours, longest first (T_Adapter_in before T_Adapter).
AIM_RENAMES = (('T_Adapter_in.', 'temporal_in_slot.'), ('T_Adapter.', 'temporal_slot.'),
               ('S_Adapter.', 'spatial_slot.'), ('MLP_Adapter.', 'mlp_slot.'),
               ('D_fc1.', 'fc1.'), ('D_fc2.', 'fc2.'), ('temporal_embedding', 'temporal_embed'))
# Keys that hold the weights in checkpoints of mmengine, DeiT/timm training scripts and DDP.
WRAPPERS = ('state_dict', 'model', 'module')


def unwrap_state_dict(checkpoint: dict) -> dict:
    """The ``{key: tensor}`` dict inside ``checkpoint`` (under ``WRAPPERS``, at any depth)."""
    while True:
        inner = next((checkpoint[key] for key in WRAPPERS if isinstance(checkpoint.get(key), dict)), None)
        if inner is None:
            return checkpoint
        checkpoint = inner


def read_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """Read a checkpoint file into a flat ``{key: tensor}`` dict, without running its code."""
    checkpoint = read_checkpoint_file(path)
    if not isinstance(checkpoint, dict):
        raise UserValueError(f'{os.fspath(path)} holds a {type(checkpoint).__name__}, not a state dict')
    return unwrap_state_dict(checkpoint)


def detect_format(state_dict: Dict[str, torch.Tensor]) -> str:
    """One of 'aim', 'openai', 'open_clip_timm', 'loki_video', 'timm'."""
    keys = state_dict.keys()
    if 'backbone.class_embedding' in keys:
        return 'aim'
    if any(k.startswith(('visual.trunk.', 'module.visual.trunk.')) for k in keys):
        return 'open_clip_timm'
    if any(k.startswith(('visual.class_embedding', 'module.visual.class_embedding')) for k in keys):
        return 'openai'
    if any(k.startswith('backbone.') for k in keys):
        return 'loki_video'
    if 'cls_token' in keys or any(k.startswith('blocks.') for k in keys):
        return 'timm'
    raise UserValueError('unrecognised checkpoint: expected OpenAI CLIP (visual.*), open_clip, timm '
                         '(cls_token, blocks.*), AIM (backbone.class_embedding) or loki_video '
                         f'(backbone.*) keys; first keys are {list(keys)[:5]}')


def _rename_aim(key):
    for old, new in AIM_RENAMES:
        key = key.replace(old, new)
    return key


def convert_to_backbone(state_dict: Dict[str, torch.Tensor], backbone: torch.nn.Module) -> Tuple[dict, str]:
    """Map any supported checkpoint to the keys of ``backbone`` (a ``TunableViT``).

    Returns:
        (converted state dict, format name).
    """
    fmt = detect_format(state_dict)
    if fmt == 'aim':
        state_dict = {'visual.' + _rename_aim(k[len('backbone.'):]): v
                      for k, v in state_dict.items() if k.startswith('backbone.')}
    elif fmt == 'loki_video':
        state_dict = {k[len('backbone.'):]: v for k, v in state_dict.items() if k.startswith('backbone.')}
    converted = checkpoint_filter_fn(state_dict, backbone)
    # Image-level heads (CLIP's projection, timm's classifier) are not part of the backbone.
    converted = {k: v for k, v in converted.items() if not k.startswith(('head.', 'fc_norm.'))}
    return converted, fmt


def convert_to_recognizer(state_dict: Dict[str, torch.Tensor], backbone: torch.nn.Module) -> Dict[str, torch.Tensor]:
    """Map a checkpoint to full recognizer keys (``backbone.*``, ``cls_head.*``).

    Used for ``load_from`` / ``tools/test.py`` with AIM's released models: the
    AIM head ``cls_head.fc_cls`` keeps its name.
    """
    converted, fmt = convert_to_backbone(state_dict, backbone)
    converted = {'backbone.' + k: v for k, v in converted.items()}
    if fmt in ('aim', 'loki_video'):
        converted.update({k: v for k, v in state_dict.items() if not k.startswith('backbone.')})
    return converted
