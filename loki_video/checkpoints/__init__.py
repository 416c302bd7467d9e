"""Checkpoints: reading any file safely, its format, pretrained weights, tunable-only save/restore.

* :mod:`.safe_read`, :mod:`.torchscript_archive`: read pickles, safetensors and TorchScript
  archives without running code from the file.
* :mod:`.formats`: detect a checkpoint's format (OpenAI, open_clip, timm, AIM, ours) and convert
  it to the backbone's or the recognizer's keys.
* :mod:`.pretrained`: ``model.backbone.pretrained`` names and files, loading them at build time.
* :mod:`.tunable`: tunable-only checkpoints bound to their frozen weights by SHA-256, and the
  exact-or-refuse restore of any checkpoint.
* :mod:`.mmengine_loader`: mmengine's local-file loader made safe (registered by
  ``loki_video.engine`` and :func:`load_checkpoint`, not by importing this package).
* :mod:`.load_checkpoint`: loading onto a built model as tools/test.py does.
"""
from .formats import convert_to_backbone, convert_to_recognizer, detect_format, read_state_dict
from .load_checkpoint import load_checkpoint
from .mmengine_loader import register_safe_local_loader
from .pretrained import KNOWN_WEIGHTS, load_pretrained, resolve_source
from .safe_read import read_checkpoint_file, safe_torch_load
from .torchscript_archive import is_torchscript_archive, read_torchscript_tensors
from .tunable import CheckpointMismatchError, checkpoint_settings, file_sha256, frozen_sha256, refuse_reinit

__all__ = ['CheckpointMismatchError', 'KNOWN_WEIGHTS', 'checkpoint_settings', 'convert_to_backbone',
           'convert_to_recognizer', 'detect_format', 'file_sha256', 'frozen_sha256', 'is_torchscript_archive',
           'load_checkpoint', 'load_pretrained', 'read_checkpoint_file', 'read_state_dict',
           'read_torchscript_tensors', 'refuse_reinit', 'register_safe_local_loader', 'resolve_source',
           'safe_torch_load']
