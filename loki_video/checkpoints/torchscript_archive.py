"""The tensors of a TorchScript archive, read without running any of its code.

A TorchScript archive (what ``torch.jit.save`` writes, e.g. OpenAI's ``ViT-B-16.pt``) is a zip
holding the module's TorchScript source (``code/``), a pickle of its object tree
(``data.pkl``) and one raw storage per tensor (``data/<key>``). ``torch.jit.load`` compiles the
source and runs each object's ``__setstate__``: PyTorch treats such archives as programs.
:func:`read_torchscript_tensors` instead unpickles ``data.pkl`` with an unpickler that builds
tensors from the raw storages and stands every scripted object in with an inert
:class:`ScriptedObject`, and refuses any other global; no code from the file runs.
"""
import pickle
import zipfile

import torch

# Globals a TorchScript data.pkl may name besides its own ``__torch__`` classes.
COLLECTIONS = {('collections', 'OrderedDict'): dict}
LIST_BUILDERS = ('build_intlist', 'build_doublelist', 'build_boollist', 'build_tensorlist')
STORAGE_DTYPES = dict(
    HalfStorage=torch.float16, BFloat16Storage=torch.bfloat16, FloatStorage=torch.float32,
    DoubleStorage=torch.float64, ComplexFloatStorage=torch.complex64, ComplexDoubleStorage=torch.complex128,
    ByteStorage=torch.uint8, CharStorage=torch.int8, ShortStorage=torch.int16, IntStorage=torch.int32,
    LongStorage=torch.int64, BoolStorage=torch.bool)


class ScriptedObject:
    """Stands in for an object of a TorchScript class: keeps its pickled state, runs nothing.

    ``qualified_name`` is the class name in the archive, e.g. ``__torch__.torch.nn.modules.linear.Linear``.
    """
    qualified_name = ''

    def __setstate__(self, state):
        self.state = state


def is_torchscript_archive(path):
    """True for a TorchScript zip (it holds ``constants.pkl`` or a ``code/`` folder)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    return any(n.endswith('/constants.pkl') or '/code/' in n for n in names)


def rebuild_tensor(storage, offset, size, stride, requires_grad=False, backward_hooks=None, *metadata):
    """``torch._utils._rebuild_tensor_v2`` for a flat storage tensor; gradients and hooks dropped."""
    return storage.as_strided(tuple(size), tuple(stride), offset)


def restore_type_tag(value, type_name):
    """TorchScript tags a dict or list with its element types; the value is all that is kept."""
    return value


class TorchScriptUnpickler(pickle.Unpickler):
    """Unpickles an archive's ``data.pkl``: tensors and inert stand-ins only.

    Args:
        archive: the open zip.
        root: its top folder (``<name>/`` before ``data.pkl``).
    """

    def __init__(self, file, archive, root):
        super().__init__(file)
        self.archive, self.root = archive, root
        self.storages = {}
        self.classes = {}

    def find_class(self, module, name):
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

    def persistent_load(self, pid):
        """``('storage', dtype, key, location, numel)`` -> a flat tensor of the raw storage."""
        kind, dtype, key, _location, numel = pid
        if kind != 'storage' or not isinstance(dtype, torch.dtype):
            raise pickle.UnpicklingError(f'unexpected persistent id {pid!r} in a TorchScript archive')
        if key not in self.storages:
            data = bytearray(self.archive.read(f'{self.root}data/{key}'))
            self.storages[key] = torch.frombuffer(data, dtype=dtype) if data else torch.empty(0, dtype=dtype)
        return self.storages[key]


def named_tensors(obj, prefix=''):
    """``{dotted name: tensor}`` of every tensor attribute in the tree of scripted objects."""
    found = {}
    state = getattr(obj, 'state', None)
    if not isinstance(state, dict):
        return found
    for name, value in state.items():
        if isinstance(value, torch.Tensor):
            found[prefix + name] = value
        elif isinstance(value, ScriptedObject):
            found.update(named_tensors(value, f'{prefix}{name}.'))
    return found


def read_torchscript_tensors(path):
    """``{name: tensor}`` of the parameters and buffers of a TorchScript archive, named as its
    ``state_dict`` names them, read without compiling or running anything from the file.

    Raises:
        ValueError: naming ``path`` when the archive holds no module tree of named tensors.
    """
    with zipfile.ZipFile(path) as archive:
        data_pickles = [name for name in archive.namelist() if name.endswith('/data.pkl')]
        if len(data_pickles) != 1:
            raise ValueError(f'{path}: a TorchScript archive holds one data.pkl, found {data_pickles}')
        root = data_pickles[0][:-len('data.pkl')]
        with archive.open(data_pickles[0]) as file:
            tree = TorchScriptUnpickler(file, archive, root).load()
    tensors = named_tensors(tree)
    if not tensors:
        raise ValueError(f'{path}: the TorchScript archive holds no named tensors (its objects keep their '
                         'state through their own __getstate__); save a state_dict instead')
    return tensors
