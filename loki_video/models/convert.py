"""Every checkpoint format the backbone loads, converted to its own keys in one place.

Formats, detected from the keys:

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

Pickled files are read with ``weights_only=True``; TorchScript archives with
``torch.jit.load``, which deserialises TorchScript IR and runs no pickled
Python; only the state dict is kept. No format executes code from the file.
"""
import os
import socket
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import torch
from mmengine.logging import MMLogger
from timm.layers import resample_abs_pos_embed
from timm.models.vision_transformer import _convert_openai_clip

from ..engine.safe_load import safe_torch_load
from .peft.freeze_policy import report_group

# Known names -> (file that OpenAI/timm caches, timm model with hub weights).
KNOWN_WEIGHTS = {
    'openai-clip-vit-b16': ('~/.cache/clip/ViT-B-16.pt', 'vit_base_patch16_clip_quickgelu_224.openai'),
    'openai-clip-vit-l14': ('~/.cache/clip/ViT-L-14.pt', 'vit_large_patch14_clip_quickgelu_224.openai'),
    'timm-vit-b16-in21k': ('~/.cache/loki_video/vit_base_patch16_224.augreg_in21k.safetensors',
                           'vit_base_patch16_224.augreg_in21k'),
}

# AIM module names -> ours, longest first (T_Adapter_in before T_Adapter).
AIM_RENAMES = (('T_Adapter_in.', 'temporal_in_slot.'), ('T_Adapter.', 'temporal_slot.'),
               ('S_Adapter.', 'spatial_slot.'), ('MLP_Adapter.', 'mlp_slot.'),
               ('D_fc1.', 'fc1.'), ('D_fc2.', 'fc2.'), ('temporal_embedding', 'temporal_embed'))


def is_torchscript_archive(path):
    """True for a TorchScript zip (it holds ``constants.pkl`` or a ``code/`` folder)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    return any(n.endswith('/constants.pkl') or '/code/' in n for n in names)


def read_state_dict(path):
    """Read a checkpoint file into a flat ``{key: tensor}`` dict, without running its code."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'checkpoint {path} does not exist')
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        return load_file(path)
    if is_torchscript_archive(path):
        return dict(torch.jit.load(path, map_location='cpu').state_dict())
    checkpoint = safe_torch_load(path)
    for wrapper in ('state_dict', 'model', 'module'):
        if isinstance(checkpoint, dict) and isinstance(checkpoint.get(wrapper), dict):
            checkpoint = checkpoint[wrapper]
    if not isinstance(checkpoint, dict):
        raise ValueError(f'{path} holds a {type(checkpoint).__name__}, not a state dict')
    return checkpoint


def detect_format(state_dict):
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
    raise ValueError('unrecognised checkpoint: expected OpenAI CLIP (visual.*), open_clip, timm '
                     '(cls_token, blocks.*), AIM (backbone.class_embedding) or loki_video '
                     f'(backbone.*) keys; first keys are {list(keys)[:5]}')


def _strip(state_dict, prefix):
    return {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}


def _rename_aim(key):
    for old, new in AIM_RENAMES:
        key = key.replace(old, new)
    return key


def convert_to_backbone(state_dict):
    """Map any supported checkpoint to ``TunableViT`` keys; returns (converted, format)."""
    fmt = detect_format(state_dict)
    if fmt == 'aim':
        clip_keys = {'visual.' + _rename_aim(k[len('backbone.'):]): v
                     for k, v in state_dict.items() if k.startswith('backbone.')}
        converted = _convert_openai_clip(clip_keys, None)
    elif fmt == 'openai':
        prefix = 'module.visual.' if any(k.startswith('module.visual.') for k in state_dict) else 'visual.'
        converted = _convert_openai_clip(state_dict, None, prefix=prefix)
    elif fmt == 'open_clip_timm':
        prefix = 'module.visual.trunk.' if any(k.startswith('module.') for k in state_dict) else 'visual.trunk.'
        converted = _strip(state_dict, prefix)
    elif fmt == 'loki_video':
        converted = _strip(state_dict, 'backbone.')
    else:
        converted = dict(state_dict)
    # Image-level heads (CLIP's projection, timm's classifier) are not part of the backbone.
    converted = {k: v for k, v in converted.items() if not k.startswith(('head.', 'fc_norm.'))}
    return converted, fmt


def convert_to_recognizer(state_dict):
    """Map a checkpoint to full mmaction2 recognizer keys (``backbone.*``, ``cls_head.*``).

    Used for ``load_from`` / ``tools/test.py`` with AIM's released models: the
    AIM head ``cls_head.fc_cls`` keeps its name.
    """
    backbone, fmt = convert_to_backbone(state_dict)
    converted = {'backbone.' + k: v for k, v in backbone.items()}
    if fmt in ('aim', 'loki_video'):
        converted.update({k: v for k, v in state_dict.items() if not k.startswith('backbone.')})
    return converted


def hub_reachable(timeout=3.0):
    """Whether the Hugging Face hub (timm's download source, or ``HF_ENDPOINT``) answers within
    ``timeout`` seconds; False with ``HF_HUB_OFFLINE=1``."""
    if os.environ.get('HF_HUB_OFFLINE', '0').lower() not in ('0', '', 'false'):
        return False
    endpoint = urlparse(os.environ.get('HF_ENDPOINT') or 'https://huggingface.co')
    try:
        socket.create_connection((endpoint.hostname, endpoint.port or 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def resolve_source(source):
    """A file path for ``source``: a path, or a name from ``KNOWN_WEIGHTS`` (downloaded when online).

    Offline, a known name whose file is missing fails at once with the file to place where.
    """
    if source not in KNOWN_WEIGHTS:
        return source
    cached, timm_name = KNOWN_WEIGHTS[source]
    cached = Path(cached).expanduser()
    weights_file = cached.with_suffix('.safetensors')  # where an earlier download was saved
    for found in (cached, weights_file):
        if found.is_file():
            return str(found)
    place = (f'Place the file at {cached} or set model.backbone.pretrained=/path/to/checkpoint '
             '(see README: Pretrained weights).')
    if not hub_reachable():
        raise FileNotFoundError(f'pretrained={source!r}: {cached} does not exist and the hub that '
                                f'{timm_name} downloads from is out of reach (offline). {place}')
    try:
        import timm
        from safetensors.torch import save_file
        model = timm.create_model(timm_name, pretrained=True, num_classes=0)
    except Exception as error:
        raise FileNotFoundError(f'pretrained={source!r}: {cached} does not exist and downloading {timm_name} '
                                f'failed ({type(error).__name__}: {str(error)[:200]}). {place}') from None
    cached.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights_file))
    return str(weights_file)


def load_pretrained(model, source):
    """Load ``source`` into a ``TunableViT``; report missing/unexpected keys.

    Raises:
        ValueError: the checkpoint belongs to another architecture (a shape
            that cannot be matched, or no pretrained key in common).
    Returns:
        (missing, unexpected) key lists.
    """
    logger = MMLogger.get_current_instance()
    path = resolve_source(source)
    state_dict, fmt = convert_to_backbone(read_state_dict(path))
    own = model.state_dict()
    if 'pos_embed' in state_dict and state_dict['pos_embed'].shape != own['pos_embed'].shape:
        old_tokens = state_dict['pos_embed'].shape[1] - 1
        old_grid = int(round(old_tokens ** 0.5))
        state_dict['pos_embed'] = resample_abs_pos_embed(
            state_dict['pos_embed'].float(), model.patch_embed.grid_size, (old_grid, old_grid),
            num_prefix_tokens=1)
    mismatched = [f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}'
                  for k, v in state_dict.items() if k in own and v.shape != own[k].shape]
    if mismatched:
        raise ValueError(f'{path} ({fmt} format) does not fit this backbone architecture: ' +
                         '; '.join(mismatched[:5]) + ' - check model.backbone.arch')
    pretrained_keys = [k for k in own if report_group(k) == 'pretrained']
    if not any(k in state_dict for k in pretrained_keys):
        raise ValueError(f'{path} ({fmt} format) shares no pretrained key with this backbone '
                         f'(expected e.g. {pretrained_keys[:3]}) - wrong file or architecture?')
    state_dict = {k: v.to(own[k].dtype) if k in own else v for k, v in state_dict.items()}
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    missing_pretrained = [k for k in missing if report_group(k) == 'pretrained']
    logger.info(f'loaded pretrained backbone from {path} ({fmt} format, {len(state_dict)} tensors)')
    if missing_pretrained:
        logger.warning(f'pretrained keys missing from {path} (left at random init): {missing_pretrained}')
    if unexpected:
        logger.warning(f'keys in {path} that the backbone does not use: {unexpected}')
    return missing, unexpected
