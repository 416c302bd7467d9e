"""Tunable-only checkpoints: save what training changes, restore it onto the pretrained backbone.

:func:`strip_frozen` drops the frozen parameters from a checkpoint and records, under
``meta['tunable_checkpoint']``, the pretrained source and ``frozen_sha256``, a digest of the frozen
tensors (a checkpoint is bound to the weights, whichever file holds them). :func:`restore` checks
that digest against the built model, completes the checkpoint with the model's frozen tensors and
refuses anything that does not set every tensor with its shape; ``checkpoint_cfg.reinit`` names
modules that ``load_from`` leaves as built. ``TunableCheckpointHook`` applies both to every save and
load of a run, :func:`loki_video.checkpoints.load_checkpoint` to tools/test.py and
``loki_video.apis``. The behaviour and the ``checkpoint_cfg`` keys: docs/training.md, "Checkpoints".
"""
import hashlib
import logging
import os
import re
from collections import OrderedDict
from functools import lru_cache
from typing import Dict, Optional, Sequence, Set

import torch
from mmengine.config import Config
from torch import nn

from loki_video.user_error import UserError, UserValueError

from .formats import convert_to_recognizer, detect_format, unwrap_state_dict
from .pretrained import resolve_source

META_KEY = 'tunable_checkpoint'
MODES = ('tunable', 'full')
DEFAULT_CHECKPOINT_CFG = dict(mode='tunable', reinit=(), allow_pretrained_mismatch=False)
LISTED_KEYS = 8


def checkpoint_settings(cfg: Config) -> dict:
    """``cfg.checkpoint_cfg`` completed with the defaults, checked; ``reinit`` as a tuple."""
    given = dict(cfg.get('checkpoint_cfg') or {})
    if 'strict' in given:
        raise UserValueError('checkpoint_cfg.strict is gone: loading is always exact. To train on from a '
                             "checkpoint with a part started afresh, name it: checkpoint_cfg.reinit=['cls_head']")
    unknown = sorted(given.keys() - DEFAULT_CHECKPOINT_CFG.keys())
    if unknown:
        raise UserValueError(f'checkpoint_cfg has no key {unknown}; the keys are {sorted(DEFAULT_CHECKPOINT_CFG)}')
    settings = dict(DEFAULT_CHECKPOINT_CFG, **given)
    if settings['mode'] not in MODES:
        raise UserValueError(f"checkpoint_cfg.mode={settings['mode']!r}; choose from {MODES}")
    reinit = settings['reinit']
    settings['reinit'] = (reinit, ) if isinstance(reinit, str) else tuple(reinit or ())
    return settings


def refuse_reinit(cfg: Config, tool: str) -> None:
    """Raise when ``checkpoint_cfg.reinit`` is set: ``tool`` reports what the checkpoint's weights do."""
    reinit = checkpoint_settings(cfg)['reinit']
    if reinit:
        raise UserValueError(f'checkpoint_cfg.reinit={list(reinit)} would leave those weights as built (random) '
                             f'and {tool} would report their numbers; it is for training (load_from) only')


@lru_cache(maxsize=None)
def _sha256_of(path, size, mtime_ns):  # size and mtime key the cache: a rewritten file is hashed again
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 24), b''):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: str) -> str:
    """SHA-256 hex digest of a file, computed once per process for an unchanged file."""
    path = os.path.realpath(path)
    stat = os.stat(path)
    return _sha256_of(path, stat.st_size, stat.st_mtime_ns)


def pretrained_source(cfg: Config) -> Optional[str]:
    """``cfg.model.backbone.pretrained`` (a path or a known name), or None."""
    backbone = cfg.get('model', {}).get('backbone') or {}
    return backbone.get('pretrained')


def frozen_parameter_names(model: nn.Module) -> Set[str]:
    """Names of the parameters with ``requires_grad=False``, as ``state_dict`` keys."""
    return {name for name, param in model.named_parameters() if not param.requires_grad}


def frozen_sha256(model: nn.Module) -> str:
    """SHA-256 hex digest of the frozen parameters of ``model``: name, shape and float32 values
    of each, in name order. Equal for the same weights read from any file format or dtype
    that holds them exactly (OpenAI's fp16 archive, timm's fp32 safetensors)."""
    digest = hashlib.sha256()
    for name, param in sorted((n, p) for n, p in model.named_parameters() if not p.requires_grad):
        digest.update(f'{name}{tuple(param.shape)}'.encode())
        digest.update(param.detach().to('cpu', torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()


def describe_frozen_weights(model: nn.Module, source: str) -> dict:
    """``dict(pretrained, pretrained_file, frozen_sha256)`` of a model built from ``source``."""
    return dict(pretrained=source, pretrained_file=os.path.abspath(resolve_source(source)),
                frozen_sha256=frozen_sha256(model))


def _listing(keys):
    keys = sorted(keys)
    more = f' ... and {len(keys) - LISTED_KEYS} more' if len(keys) > LISTED_KEYS else ''
    return ', '.join(keys[:LISTED_KEYS]) + more


def extract_state_dict(checkpoint: dict, model: nn.Module) -> Dict[str, torch.Tensor]:
    """Put the model weights of any checkpoint layout under ``checkpoint['state_dict']``, in place.

    Handles mmengine checkpoints, ``{'model': ...}``/``{'module': ...}``
    wrappers and flat state dicts; strips a DDP ``module.`` prefix and
    converts foreign formats (AIM) to the recognizer keys of ``model``.

    Returns:
        the state dict now stored in ``checkpoint['state_dict']``.
    """
    state_dict = unwrap_state_dict(checkpoint)
    if state_dict is checkpoint:
        state_dict = dict(checkpoint)
        checkpoint.clear()
    state_dict = OrderedDict((re.sub(r'^module\.', '', k), v) for k, v in state_dict.items())
    try:
        fmt = detect_format(state_dict)
    except ValueError:
        fmt = None  # not a backbone checkpoint we know: load it as it is
    if fmt not in (None, 'loki_video') and hasattr(model, 'backbone'):
        state_dict = OrderedDict(convert_to_recognizer(state_dict, model.backbone))
    checkpoint['state_dict'] = state_dict
    return state_dict


class CheckpointMismatchError(UserError, RuntimeError):
    """A checkpoint that does not set every tensor of the model with its shape."""


def check_fit(state_dict: Dict[str, torch.Tensor], own: Dict[str, torch.Tensor]) -> None:
    """Raise unless ``state_dict`` sets every tensor of ``own`` (a model's state dict) with its shape.

    ``num_batches_tracked`` counters may be missing (older checkpoints lack them).
    """
    missing = [k for k in own if k not in state_dict and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in state_dict if k not in own]
    mismatched = [f'{k}: checkpoint {tuple(v.shape)}, model {tuple(own[k].shape)}'
                  for k, v in state_dict.items() if k in own and tuple(v.shape) != tuple(own[k].shape)]
    if not (missing or unexpected or mismatched):
        return
    problems = [f'{name} [{_listing(keys)}]' for name, keys in (
        ('missing', missing), ('unexpected', unexpected), ('shape mismatch', mismatched)) if keys]
    advice = ('Check that the config builds the model the checkpoint was trained with '
              '(architecture, tuning method, model.cls_head.num_classes).')
    modules = {key.split('.')[0] for key in missing + unexpected + [m.split(':')[0] for m in mismatched]}
    if modules == {'cls_head'}:
        advice += (' To train a new head on top of this checkpoint (load_from), start it afresh with '
                   "--cfg-options \"checkpoint_cfg.reinit=['cls_head']\"")
    raise CheckpointMismatchError('the checkpoint does not fit the model: ' + '; '.join(problems) + '. ' + advice)


def strip_frozen(checkpoint: dict, model: nn.Module, cfg: Config) -> Optional[str]:
    """Drop the frozen parameters of ``model`` from ``checkpoint['state_dict']`` and record the
    pretrained file in ``checkpoint['meta']``, in place.

    Returns:
        None, or why the full state dict is kept (``checkpoint_cfg.mode``, nothing frozen, or no
        pretrained file to restore the frozen weights from).
    """
    settings = checkpoint_settings(cfg)
    meta = checkpoint.setdefault('meta', {})
    frozen = frozen_parameter_names(model)
    source = pretrained_source(cfg)
    if settings['mode'] == 'full' or not frozen or source is None:
        meta[META_KEY] = dict(mode='full')
        return ('checkpoint_cfg.mode is "full"' if settings['mode'] == 'full'
                else 'no parameter is frozen' if not frozen
                else 'model.backbone.pretrained is None, so the frozen weights are random '
                     'and must be stored to be restored')
    state_dict = checkpoint['state_dict']
    checkpoint['state_dict'] = OrderedDict((k, v) for k, v in state_dict.items() if k not in frozen)
    meta[META_KEY] = dict(mode='tunable', frozen_keys=len(state_dict) - len(checkpoint['state_dict']),
                          **describe_frozen_weights(model, source))
    return None


def restore(checkpoint: dict, model: nn.Module, cfg: Config, logger: logging.Logger, resuming: bool = False) -> None:
    """Make ``checkpoint['state_dict']`` set every tensor of ``model``, in place, or raise.

    Converts foreign formats, checks a tunable-only checkpoint's pretrained file and completes it
    with the model's frozen tensors, keeps the ``checkpoint_cfg.reinit`` modules as built (unless
    ``resuming``), then refuses anything that does not fit (:func:`check_fit`).
    """
    settings = checkpoint_settings(cfg)
    state_dict = extract_state_dict(checkpoint, model)
    own = model.state_dict()
    record = (checkpoint.get('meta') or {}).get(META_KEY) or {}
    if record.get('mode') == 'tunable':
        check_frozen_weights(model, cfg, record, settings, logger)
        for key in frozen_parameter_names(model) - state_dict.keys():
            state_dict[key] = own[key]
    if settings['reinit'] and not resuming:
        keep_reinit_modules(state_dict, own, settings['reinit'], logger)
    check_fit(state_dict, own)


def keep_reinit_modules(state_dict: Dict[str, torch.Tensor], own: Dict[str, torch.Tensor], reinit: Sequence[str],
                        logger: logging.Logger) -> None:
    """Put the model's own tensors under the ``reinit`` modules into ``state_dict`` (so they stay as
    built) and log which they are."""
    def under(key, name):
        return key == name or key.startswith(name + '.')
    kept = [key for key in own if any(under(key, name) for name in reinit)]
    unknown = [name for name in reinit if not any(under(key, name) for key in own)]
    if unknown:
        raise UserValueError(f'checkpoint_cfg.reinit names {unknown}, which the model does not have; '
                             f'its modules are {sorted({key.split(".")[0] for key in own})}')
    for key in kept:
        state_dict[key] = own[key]
    logger.warning(f'checkpoint_cfg.reinit: {len(kept)} tensors keep their initial values '
                   f'(not loaded from the checkpoint): {_listing(kept)}')


def check_frozen_weights(model: nn.Module, cfg: Config, record: dict, settings: dict, logger: logging.Logger) -> None:
    """Refuse a tunable-only checkpoint trained on other frozen weights than ``model`` holds.

    Checkpoints record ``frozen_sha256``; older ones the ``pretrained_sha256`` of the file, which
    is compared with the config's file instead.
    """
    source = pretrained_source(cfg)
    if 'frozen_sha256' in record:
        recorded, kind = record['frozen_sha256'], 'frozen weights'
        current = frozen_sha256(model)
    else:
        recorded, kind = record['pretrained_sha256'], 'file'
        current = file_sha256(resolve_source(source)) if source is not None else None
    if current == recorded:
        return
    built_from = os.path.abspath(resolve_source(source)) if source is not None else 'random weights'
    message = (f"this tunable-only checkpoint was trained on the frozen weights of {record['pretrained_file']} "
               f'({kind} sha256 {recorded}) but the model was built from {built_from} ({kind} sha256 '
               f'{current}); set model.backbone.pretrained to a file that holds the original weights')
    if not settings['allow_pretrained_mismatch']:
        raise CheckpointMismatchError(message + ', or accept the mismatch with '
                           '--cfg-options checkpoint_cfg.allow_pretrained_mismatch=True')
    logger.warning(message + ' (allowed by checkpoint_cfg.allow_pretrained_mismatch)')
