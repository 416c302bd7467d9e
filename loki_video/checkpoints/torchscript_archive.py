"""The tensors of a TorchScript archive, read without running any of its code.

A TorchScript archive (what ``torch.jit.save`` writes, e.g. OpenAI's ``ViT-B-16.pt``) is a zip
holding the module's TorchScript source (``code/``), a pickle of its object tree
(``data.pkl``) and one raw storage per tensor (``data/<key>``). ``torch.jit.load`` compiles the
source and runs each object's ``__setstate__``: PyTorch treats such archives as programs.
:func:`read_torchscript_tensors` instead unpickles ``data.pkl`` with an unpickler that builds
tensors from the raw storages and stands every scripted object in with an inert
:class:`ScriptedObject`, and refuses any other global; no code from the file runs.

A crafted archive is refused with an ``UnpicklingError`` naming the file, before it can exhaust
memory or the stack: a member that inflates more than :data:`MAX_INFLATION` times, a storage
whose bytes are not the element count its id states, a tensor reaching past its storage, a
malformed persistent id, a cyclic object tree. Storages are read in the archive's ``byteorder``.
"""
import io
import os
import pickle
import sys
import zipfile
from typing import Any, BinaryIO, Dict, Sequence

import torch

from loki_video.user_error import UserValueError

# Globals a TorchScript data.pkl may name besides its own ``__torch__`` classes.
COLLECTIONS = {('collections', 'OrderedDict'): dict}
LIST_BUILDERS = ('build_intlist', 'build_doublelist', 'build_boollist', 'build_tensorlist')
STORAGE_DTYPES = dict(
    HalfStorage=torch.float16, BFloat16Storage=torch.bfloat16, FloatStorage=torch.float32,
    DoubleStorage=torch.float64, ComplexFloatStorage=torch.complex64, ComplexDoubleStorage=torch.complex128,
    ByteStorage=torch.uint8, CharStorage=torch.int8, ShortStorage=torch.int16, IntStorage=torch.int32,
    LongStorage=torch.int64, BoolStorage=torch.bool)
# Weights barely compress (torch.jit.save stores them); a zip bomb inflates thousands of times.
MAX_INFLATION = 64
INFLATION_SLACK = 1 << 20  # bytes any member may hold beyond MAX_INFLATION times its compressed size


class ScriptedObject:
    """Stands in for an object of a TorchScript class: keeps its pickled state, runs nothing.

    ``qualified_name`` is the class name in the archive, e.g. ``__torch__.torch.nn.modules.linear.Linear``.
    """
    qualified_name = ''

    def __setstate__(self, state) -> None:
        self.state = state


def is_torchscript_archive(path: str) -> bool:
    """True for a TorchScript zip (it holds ``constants.pkl`` or a ``code/`` folder)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    return any(n.endswith('/constants.pkl') or '/code/' in n for n in names)


def rebuild_tensor(storage: torch.Tensor, offset: int, size: Sequence[int], stride: Sequence[int],
                   requires_grad: bool = False, backward_hooks: Any = None, *metadata: Any) -> torch.Tensor:
    """``torch._utils._rebuild_tensor_v2`` for a flat storage tensor; gradients and hooks dropped."""
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride) or min(size + stride + (offset, ), default=0) < 0:
        raise pickle.UnpicklingError(f'a tensor of size {size}, stride {stride}, offset {offset}')
    last = offset + sum((extent - 1) * step for extent, step in zip(size, stride))
    if 0 not in size and last >= storage.numel():
        raise pickle.UnpicklingError(f'a tensor of size {size}, stride {stride}, offset {offset} reaches '
                                     f'past its storage of {storage.numel()} elements')
    return storage.as_strided(size, stride, offset)


def read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    """The bytes of member ``name``, refused when it would inflate more than ``MAX_INFLATION`` times its
    compressed size (the declared one, and at most the archive's size, which a crafted header cannot
    change): refused from the header where it says so, else while inflating, after at most that many
    bytes plus one, so that a refusal costs no more memory than the cap."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise pickle.UnpicklingError(f'{name} is missing from the archive') from None
    compressed = min(info.compress_size, os.path.getsize(archive.filename)) if archive.filename else info.compress_size
    cap = MAX_INFLATION * compressed + INFLATION_SLACK
    if info.file_size > cap:
        raise pickle.UnpicklingError(f'{name} inflates from {info.compress_size} to {info.file_size} bytes '
                                     f'(over {MAX_INFLATION} times): not a weights archive')
    with archive.open(info) as member:
        data = member.read(cap + 1)
    if len(data) > cap:
        raise pickle.UnpicklingError(f'{name} inflates from {compressed} bytes to over {cap} (over {MAX_INFLATION} '
                                     'times): not a weights archive')
    return data


def from_byte_order(data: bytearray, dtype: torch.dtype, byteorder: str) -> torch.Tensor:
    """A flat ``dtype`` tensor of ``data`` written in ``byteorder`` ('little' or 'big')."""
    raw = torch.frombuffer(data, dtype=torch.uint8) if data else torch.empty(0, dtype=torch.uint8)
    if byteorder != sys.byteorder:
        width = dtype.itemsize // 2 if dtype.is_complex else dtype.itemsize  # complex: two floats
        raw = raw.view(-1, width).flip(1).flatten()
    return raw.view(dtype)


def restore_type_tag(value: Any, type_name: str) -> Any:
    """TorchScript tags a dict or list with its element types; the value is all that is kept."""
    return value


class TorchScriptUnpickler(pickle.Unpickler):
    """Unpickles an archive's ``data.pkl``: tensors and inert stand-ins only.

    Args:
        archive (zipfile.ZipFile): the open zip.
        root (str): its top folder (``<name>/`` before ``data.pkl``).
    """

    def __init__(self, file: BinaryIO, archive: zipfile.ZipFile, root: str) -> None:
        super().__init__(file)
        self.archive, self.root = archive, root
        self.storages = {}
        self.classes = {}
        names = archive.namelist()
        byteorder = read_member(archive, f'{root}byteorder').decode().strip() \
            if f'{root}byteorder' in names else 'little'  # archives before PyTorch 1.10 have none
        if byteorder not in ('little', 'big'):
            raise pickle.UnpicklingError(f'byteorder record {byteorder[:20]!r}: expected little or big')
        self.byteorder = byteorder

    def find_class(self, module: str, name: str) -> Any:
        if module == '__torch__' or module.startswith('__torch__.'):
            qualified_name = f'{module}.{name}'
            if qualified_name not in self.classes:
                self.classes[qualified_name] = type(name, (ScriptedObject, ), dict(qualified_name=qualified_name))
            return self.classes[qualified_name]
        if (module, name) == ('torch._utils', '_rebuild_tensor_v2'):
            return rebuild_tensor
        if (module, name) in COLLECTIONS:
            return COLLECTIONS[module, name]
        if module == 'torch.jit._pickle' and name in LIST_BUILDERS:
            return list
        if (module, name) == ('torch.jit._pickle', 'restore_type_tag'):
            return restore_type_tag
        if module == 'torch' and name in STORAGE_DTYPES:
            return STORAGE_DTYPES[name]
        raise pickle.UnpicklingError(f'refusing global {module}.{name} in a TorchScript archive')

    def persistent_load(self, pid: Any) -> torch.Tensor:
        """``('storage', dtype, key, location, numel)`` -> a flat tensor of the raw storage."""
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == 'storage' and isinstance(pid[1], torch.dtype)
                and isinstance(pid[2], str) and isinstance(pid[4], int) and pid[4] >= 0):
            raise pickle.UnpicklingError(f'malformed persistent id {str(pid)[:200]}: expected '
                                         '(storage, dtype, key, location, numel)')
        _, dtype, key, _location, numel = pid
        if key not in self.storages:
            data = bytearray(read_member(self.archive, f'{self.root}data/{key}'))
            if len(data) != numel * dtype.itemsize:
                raise pickle.UnpicklingError(f'storage {key} holds {len(data)} bytes, but its id states {numel} '
                                             f'elements of {dtype} ({numel * dtype.itemsize} bytes)')
            self.storages[key] = from_byte_order(data, dtype, self.byteorder)
        return self.storages[key]


def named_tensors(root: ScriptedObject) -> Dict[str, torch.Tensor]:
    """``{dotted name: tensor}`` of every tensor attribute in the tree of scripted objects, in the
    order ``state_dict`` lists them (depth first). Raises ``UnpicklingError`` on a cycle."""
    found = {}
    on_path = set()
    stack = [(root, '', False)]  # (object, prefix, leaving): leaving marks the end of its subtree
    while stack:
        obj, prefix, leaving = stack.pop()
        if leaving:
            on_path.discard(id(obj))
            continue
        if id(obj) in on_path:
            raise pickle.UnpicklingError(f'the object tree is cyclic (at {prefix.rstrip(".") or "the root"})')
        state = getattr(obj, 'state', None)
        if not isinstance(state, dict):
            continue
        on_path.add(id(obj))
        stack.append((obj, prefix, True))
        children = []
        for name, value in state.items():
            if isinstance(value, torch.Tensor):
                found[prefix + name] = value
            elif isinstance(value, ScriptedObject):
                children.append((value, f'{prefix}{name}.', False))
        stack.extend(reversed(children))
    return found


def read_torchscript_tensors(path: str) -> Dict[str, torch.Tensor]:
    """``{name: tensor}`` of the parameters and buffers of a TorchScript archive, named as its
    ``state_dict`` names them, read without compiling or running anything from the file.

    Raises:
        ValueError: naming ``path`` when the archive holds no module tree of named tensors.
        pickle.UnpicklingError: naming ``path`` when the archive is crafted or damaged (module docstring).
    """
    with zipfile.ZipFile(path) as archive:
        data_pickles = [name for name in archive.namelist() if name.endswith('/data.pkl')]
        if len(data_pickles) != 1:
            raise UserValueError(f'{path}: a TorchScript archive holds one data.pkl, found {data_pickles}')
        root = data_pickles[0][:-len('data.pkl')]
        try:
            pickled = io.BytesIO(read_member(archive, data_pickles[0]))
            tensors = named_tensors(TorchScriptUnpickler(pickled, archive, root).load())
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError,
                RuntimeError) as error:  # whatever a crafted data.pkl makes the unpickler meet
            raise pickle.UnpicklingError(f'{path}: refusing to read this TorchScript archive: '
                                         f'{type(error).__name__}: {error}') from None
    if not tensors:
        raise UserValueError(f'{path}: the TorchScript archive holds no named tensors (its objects keep their '
                             'state through their own __getstate__); save a state_dict instead')
    return tensors
