"""Reading checkpoint files without running code from them.

Checkpoints are read with ``weights_only=True``. mmengine's own training
checkpoints also pickle a few harmless objects (the message hub's
``HistoryBuffer``, numpy scalars and arrays, ``collections.OrderedDict``);
exactly those are allow-listed, nothing else. A ``HistoryBuffer`` pickles
its statistics methods as ``getattr(HistoryBuffer, 'mean')``: ``getattr``
is replaced by a version that only looks up public methods of that class.
"""
import collections
import json
import os
import pickle
from typing import Any, Callable

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

from loki_video.user_error import UserFileError, UserValueError

from .torchscript_archive import is_torchscript_archive, read_torchscript_tensors


def _numpy_globals():
    """The numpy callables that numpy arrays and scalars pickle to (names moved in numpy 2)."""
    multiarray = getattr(np, '_core', np.core).multiarray
    found = [np.ndarray, np.dtype, multiarray._reconstruct, multiarray.scalar]
    found += [type(np.dtype(name)) for name in ('float64', 'float32', 'int64', 'int32', 'bool')]
    return found


def history_buffer_method(owner: type, name: str) -> Callable:
    """``getattr`` restricted to what ``HistoryBuffer`` pickles: its public methods, e.g. ``mean``."""
    if owner is HistoryBuffer and not name.startswith('_') and callable(vars(HistoryBuffer).get(name)):
        return getattr(owner, name)
    raise pickle.UnpicklingError(f'refusing getattr({owner!r}, {name!r}) in a checkpoint')


SAFE_GLOBALS = [HistoryBuffer, collections.OrderedDict, collections.defaultdict, *_numpy_globals(),
                (history_buffer_method, 'builtins.getattr')]


PICKLE_PROTOCOL = b'\x80'  # a pickle (torch's legacy format) starts with PROTO and its number
ZIP_MAGIC = b'PK\x03\x04'  # torch's default format is a zip archive


def check_torch_file(path: str) -> None:
    """Raise ValueError naming ``path`` unless it starts like a file ``torch.save`` writes."""
    with open(path, 'rb') as f:
        head = f.read(4)
    pickled = len(head) > 1 and head[:1] == PICKLE_PROTOCOL and 2 <= head[1] <= 5
    if head != ZIP_MAGIC and not pickled:
        raise UserValueError(f'{path} is not a checkpoint: a PyTorch file (.pth/.pt, from torch.save or a '
                             'TorchScript archive) or a .safetensors file was expected; check the path')


def safe_torch_load(path: str, map_location: str = 'cpu') -> Any:
    """Load a pickled checkpoint with only tensors and allow-listed types.

    Raises:
        ValueError: naming the file when it is no PyTorch file at all.
        RuntimeError: naming the file when it holds anything else (it would
            need to execute code to load).
    """
    check_torch_file(path)
    with torch.serialization.safe_globals(SAFE_GLOBALS):
        try:
            return torch.load(path, map_location=map_location, weights_only=True)
        except Exception as error:  # torch raises UnpicklingError or RuntimeError here
            if 'weights_only' not in str(error) and 'Unsupported global' not in str(error):
                raise
            raise RuntimeError(
                f'{path}: refusing to load, the file holds Python objects that would run code '
                f'when unpickled ({str(error).splitlines()[0][:200]}). Save plain tensors '
                '(a state_dict) or safetensors instead.') from error


def read_safetensors(path: str, device: str = 'cpu') -> dict:
    """A ``.safetensors`` file's ``{key: tensor}``; or ``{'state_dict': ..., 'meta': ...}`` where its metadata
    holds a JSON ``meta`` (a model folder's weights: :mod:`loki_video.apis.model_folder`)."""
    from safetensors import SafetensorError, safe_open
    try:
        with safe_open(path, framework='pt', device=device) as weights:
            metadata = weights.metadata() or {}
            tensors = {key: weights.get_tensor(key) for key in weights.keys()}
    except SafetensorError as error:
        raise UserValueError(f'{path}: not a readable safetensors file ({error})') from None
    if 'meta' not in metadata:
        return tensors
    try:
        return dict(state_dict=tensors, meta=json.loads(metadata['meta']))
    except json.JSONDecodeError as error:
        raise UserValueError(f'{path}: its metadata "meta" is not JSON ({error})') from None


def read_checkpoint_file(path: str, map_location: str = 'cpu') -> Any:
    """What a local checkpoint file holds, read without running any of its code.

    ``.safetensors``: a ``{key: tensor}`` dict; TorchScript archives: the tensors of the module
    tree (:mod:`.torchscript_archive`); any other file: :func:`safe_torch_load`.

    Raises:
        FileNotFoundError: naming ``path`` when it does not exist.
    """
    path = os.path.expanduser(os.fspath(path))
    if not os.path.isfile(path):
        raise UserFileError(f'checkpoint {path} does not exist')
    if path.endswith('.safetensors'):
        return read_safetensors(path, map_location if isinstance(map_location, str) else 'cpu')
    if is_torchscript_archive(path):
        return read_torchscript_tensors(path)
    return safe_torch_load(path, map_location=map_location)
