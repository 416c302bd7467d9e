"""Pretrained backbone weights: known names, the file they resolve to, and loading them.

``model.backbone.pretrained`` is a checkpoint path (any format of :mod:`.formats`) or a name
from ``KNOWN_WEIGHTS``, read from its cache file or, when online, downloaded through timm.
"""
import os
import socket
from pathlib import Path
from typing import Set, Tuple
from urllib.parse import urlparse

from mmengine.logging import MMLogger
from torch import nn

from loki_video.user_error import UserFileError, UserValueError

from .formats import convert_to_backbone, read_state_dict

# Known names -> (file that OpenAI/timm caches, timm model with hub weights).
KNOWN_WEIGHTS = {
    'openai-clip-vit-b16': ('~/.cache/clip/ViT-B-16.pt', 'vit_base_patch16_clip_quickgelu_224.openai'),
    'openai-clip-vit-l14': ('~/.cache/clip/ViT-L-14.pt', 'vit_large_patch14_clip_quickgelu_224.openai'),
    'timm-vit-b16-in21k': ('~/.cache/loki_video/vit_base_patch16_224.augreg_in21k.safetensors',
                           'vit_base_patch16_224.augreg_in21k'),
}


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face hub (timm's download source, or ``HF_ENDPOINT``) answers within
    ``timeout`` seconds; False in huggingface_hub's offline mode (``HF_HUB_OFFLINE=1``)."""
    import huggingface_hub
    if huggingface_hub.is_offline_mode():
        return False
    endpoint = urlparse(huggingface_hub.constants.ENDPOINT)
    try:
        socket.create_connection((endpoint.hostname, endpoint.port or 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def resolve_source(source: str) -> str:
    """A file path for ``source``: a path (``~`` expanded), or a name from ``KNOWN_WEIGHTS``
    (downloaded when online). Every reader of ``model.backbone.pretrained`` goes through here.

    Offline, a known name whose file is missing fails at once with the file to place where.
    """
    if source not in KNOWN_WEIGHTS:
        return os.path.expanduser(os.fspath(source))
    cached, timm_name = KNOWN_WEIGHTS[source]
    cached = Path(cached).expanduser()
    weights_file = cached.with_suffix('.safetensors')  # where an earlier download was saved
    for found in (cached, weights_file):
        if found.is_file():
            return str(found)
    place = (f'Place the file at {cached} or set model.backbone.pretrained=/path/to/checkpoint '
             '(see README: Pretrained weights).')
    if not hub_reachable():
        raise UserFileError(f'pretrained={source!r}: {cached} does not exist and the hub that '
                            f'{timm_name} downloads from is out of reach (offline). {place}')
    try:
        import timm
        from safetensors.torch import save_file
        model = timm.create_model(timm_name, pretrained=True, num_classes=0)
    except Exception as error:
        raise UserFileError(f'pretrained={source!r}: {cached} does not exist and downloading {timm_name} '
                            f'failed ({type(error).__name__}: {str(error)[:200]}). {place}') from None
    cached.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights_file))
    return str(weights_file)


def load_pretrained(backbone: nn.Module, source: str, pretrained_keys: Set[str]) -> Tuple[list, list]:
    """Load ``source`` into ``backbone`` (a ``TunableViT``); report missing and unexpected keys.

    Args:
        backbone (nn.Module): the model to load into.
        source (str): a checkpoint path or a name from ``KNOWN_WEIGHTS``.
        pretrained_keys (Set[str]): the backbone's keys a pretrained checkpoint sets (not its tuning modules).

    Raises:
        ValueError: the checkpoint belongs to another architecture (a shape
            that cannot be matched, or no pretrained key in common).
    Returns:
        (missing, unexpected) key lists.
    """
    logger = MMLogger.get_current_instance()
    path = resolve_source(source)
    state_dict, fmt = convert_to_backbone(read_state_dict(path), backbone)
    own = backbone.state_dict()
    mismatched = [f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}'
                  for k, v in state_dict.items() if k in own and v.shape != own[k].shape]
    if mismatched:
        raise UserValueError(f'{path} ({fmt} format) does not fit this backbone architecture: ' +
                             '; '.join(mismatched[:5]) + ' - check model.backbone.arch')
    if not any(k in state_dict for k in pretrained_keys):
        raise UserValueError(f'{path} ({fmt} format) shares no pretrained key with this backbone '
                             f'(expected e.g. {list(pretrained_keys)[:3]}) - wrong file or architecture?')
    state_dict = {k: v.to(own[k].dtype) if k in own else v for k, v in state_dict.items()}
    missing, unexpected = backbone.load_state_dict(state_dict, strict=False)
    missing_pretrained = [k for k in missing if k in pretrained_keys]
    logger.info(f'loaded pretrained backbone from {path} ({fmt} format, {len(state_dict)} tensors)')
    if missing_pretrained:
        logger.warning(f'pretrained keys missing from {path} (left at random init): {missing_pretrained}')
    if unexpected:
        logger.warning(f'keys in {path} that the backbone does not use: {unexpected}')
    return missing, unexpected
