"""TorchScript archives are read as weights: nothing from the archive is compiled or run, and
crafted archives are refused with an error naming the file."""
import collections
import io
import os
import pickle
import sys
import zipfile
from typing import Dict

import pytest
import torch
from torch import nn

from loki_video.checkpoints import formats, read_torchscript_tensors
from loki_video.checkpoints.torchscript_archive import STORAGE_DTYPES


class RefusesToLoad(nn.Module):
    """A module whose TorchScript ``__setstate__`` raises: ``torch.jit.load`` runs it, we must not."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(4, 4))

    def forward(self, x):
        return x @ self.weight

    @torch.jit.export
    def __getstate__(self) -> Dict[str, torch.Tensor]:
        return {'weight': self.weight}

    @torch.jit.export
    def __setstate__(self, state: Dict[str, torch.Tensor]) -> None:
        raise RuntimeError('code from the archive ran')


class Visual(nn.Module):
    def __init__(self):
        super().__init__()
        self.guarded = RefusesToLoad()
        self.proj = nn.Linear(4, 3).half()
        self.register_buffer('positions', torch.arange(6).view(2, 3)[:, 1:])  # a strided view

    def forward(self, x):
        return self.proj(self.guarded(x).half())


def test_an_archive_whose_setstate_raises_loads_as_weights(tmp_path):
    model = Visual()
    path = tmp_path / 'archive.pt'
    torch.jit.save(torch.jit.script(model), str(path))
    with pytest.raises(Exception, match='code from the archive ran'):
        torch.jit.load(str(path))
    read = read_torchscript_tensors(path)
    expected = model.state_dict()
    assert list(read) == list(expected)
    assert all(torch.equal(read[k], v) and read[k].dtype == v.dtype for k, v in expected.items())
    assert formats.read_state_dict(path).keys() == expected.keys()  # what pretrained loading reads


class RunsCodeWhenUnpickled:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_a_foreign_global_in_the_archive_is_refused(tmp_path):
    marker = tmp_path / 'ran'

    path = tmp_path / 'archive.pt'
    torch.jit.save(torch.jit.script(Visual()), str(path))
    tampered = tmp_path / 'tampered.pt'
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tampered, 'w') as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith('/data.pkl'):
                data = pickle.dumps(RunsCodeWhenUnpickled(marker), protocol=2)
            target.writestr(item, data)
    with pytest.raises(pickle.UnpicklingError, match=r'refusing global (posix|os)\.system'):
        read_torchscript_tensors(tampered)
    assert not marker.exists()


class Scripted:
    """Pickles as an object of TorchScript class ``__torch__.Scripted`` with the state it is given."""

    def __init__(self, **state):
        self.state = state

    def __getstate__(self):
        return self.state


STORAGE_CLASSES = {dtype: getattr(torch, name) for name, dtype in STORAGE_DTYPES.items()}


class ArchivePickler(pickle.Pickler):
    """Pickles ``(dtype, key, numel)`` tuples as the storage ids of a TorchScript archive (the dtype as
    its ``torch.<Type>Storage`` class), any tuple tagged ``('raw id', ...)`` as it is."""

    def persistent_id(self, obj):
        if isinstance(obj, tuple) and obj[:1] == ('raw id', ):
            return tuple(STORAGE_CLASSES.get(item, item) for item in obj[1]) if isinstance(obj[1], tuple) else obj[1]
        if isinstance(obj, tuple) and len(obj) == 3 and isinstance(obj[0], torch.dtype):
            dtype, key, numel = obj
            return ('storage', STORAGE_CLASSES[dtype], key, 'cpu', numel)
        return None


@pytest.fixture
def write_archive(tmp_path, monkeypatch):
    """``write_archive(tree, storages, byteorder='little', compress=False)``: a crafted archive's path.

    ``tree`` is pickled as data.pkl (``Scripted`` objects, tensors as ``rebuild(storage id, size)``),
    ``storages`` is ``{key: bytes}``."""
    module = type(sys)('__torch__')
    module.Scripted = Scripted
    monkeypatch.setitem(sys.modules, '__torch__', module)
    monkeypatch.setattr(Scripted, '__module__', '__torch__')

    def write(tree, storages, byteorder='little', compress=False):
        buffer = io.BytesIO()
        ArchivePickler(buffer, protocol=2).dump(tree)
        path = tmp_path / f'crafted_{len(list(tmp_path.iterdir()))}.pt'
        method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        with zipfile.ZipFile(path, 'w', method) as archive:
            archive.writestr('archive/data.pkl', buffer.getvalue())
            archive.writestr('archive/byteorder', byteorder)
            archive.writestr('archive/constants.pkl', pickle.dumps(()))
            for key, data in storages.items():
                archive.writestr(f'archive/data/{key}', data)
        return path
    return write


class Rebuild:
    """Pickles as ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride)``."""

    def __init__(self, storage, size, offset=0):
        self.args = (storage, offset, size, torch.empty(size).stride())

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, self.args + (False, collections.OrderedDict())


def test_a_well_formed_crafted_archive_reads(write_archive):
    values = torch.arange(6, dtype=torch.float32)
    tree = Scripted(weight=Rebuild((torch.float32, '0', 6), (2, 3)), child=Scripted(bias=Rebuild(
        (torch.float32, '0', 6), (2, ), offset=4)))
    tensors = read_torchscript_tensors(write_archive(tree, {'0': values.numpy().tobytes()}))
    assert list(tensors) == ['weight', 'child.bias']
    assert torch.equal(tensors['weight'], values.view(2, 3)) and torch.equal(tensors['child.bias'], values[4:])


@pytest.mark.parametrize('dtype', [torch.float16, torch.float32, torch.int64, torch.complex64])
def test_a_big_endian_archive_reads_as_its_values(write_archive, dtype):
    values = (torch.arange(4) * 3 - 5).to(dtype)
    big_endian = values.numpy().astype(values.numpy().dtype.newbyteorder('>')).tobytes()
    tree = Scripted(weight=Rebuild((dtype, '0', 4), (4, )))
    read = read_torchscript_tensors(write_archive(tree, {'0': big_endian}, byteorder='big'))['weight']
    assert read.dtype == dtype and torch.equal(read, values)
    with pytest.raises(pickle.UnpicklingError, match=r"crafted_1\.pt.*byteorder record 'middle'"):
        read_torchscript_tensors(write_archive(tree, {'0': big_endian}, byteorder='middle'))


def test_a_zip_bomb_is_refused_before_it_is_inflated(write_archive):
    numel = 4 << 20  # 16 MiB of zeros deflate to about 16 KiB
    tree = Scripted(weight=Rebuild((torch.float32, '0', numel), (numel, )))
    path = write_archive(tree, {'0': bytes(4 * numel)}, compress=True)
    with pytest.raises(pickle.UnpicklingError, match=rf'{path.name}.*archive/data/0 inflates from \d+ to '
                       rf'{4 * numel} bytes \(over 64 times\)'):
        read_torchscript_tensors(path)


def declare_compressed_size(path, member, size):
    """Rewrite the compressed size that ``path``'s headers declare for ``member`` (a crafted archive)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    central = data.index(b'PK\x01\x02')
    while data[central + 46:central + 46 + len(name)] != name:
        central = data.index(b'PK\x01\x02', central + 4)
    local = int.from_bytes(data[central + 42:central + 46], 'little')
    data[central + 20:central + 24] = size.to_bytes(4, 'little')
    data[local + 18:local + 22] = size.to_bytes(4, 'little')
    path.write_bytes(bytes(data))


def test_a_member_whose_header_understates_its_inflation_is_refused_at_the_cap(write_archive):
    """The header claims 4 MiB compressed, so 64 MiB of zeros pass its check; the archive holds about 64 KiB:
    reading stops at 64 times that (plus 1 MiB), never near 64 MiB."""
    import tracemalloc
    numel = 16 << 20
    tree = Scripted(weight=Rebuild((torch.float32, '0', numel), (numel, )))
    path = write_archive(tree, {'0': bytes(4 * numel)}, compress=True)
    declare_compressed_size(path, 'archive/data/0', 4 << 20)
    tracemalloc.start()
    try:
        with pytest.raises(pickle.UnpicklingError, match=rf'{path.name}.*archive/data/0 inflates from \d+ '
                           r'(bytes )?to (over )?\d+ (bytes )?\(over 64 times\)'):
            read_torchscript_tensors(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f'{peak / 2**20:.0f} MiB held while refusing'


def test_a_storage_of_other_size_than_its_id_states_is_refused(write_archive):
    tree = Scripted(weight=Rebuild((torch.float32, '0', 10), (10, )))
    with pytest.raises(pickle.UnpicklingError, match=r'crafted_0\.pt.*storage 0 holds 8 bytes, but its id '
                       r'states 10 elements of torch.float32 \(40 bytes\)'):
        read_torchscript_tensors(write_archive(tree, {'0': bytes(8)}))
    tree = Scripted(weight=Rebuild((torch.float32, '0', 2), (3, )))  # a view past the storage
    with pytest.raises(pickle.UnpicklingError, match=r'crafted_1\.pt.*reaches past its storage of 2 elements'):
        read_torchscript_tensors(write_archive(tree, {'0': bytes(8)}))


@pytest.mark.parametrize('pid', [('storage', torch.float32), ('storage', 'float', '0', 'cpu', 2),
                                 ('storage', torch.float32, '0', 'cpu', -1), 'storage'])
def test_a_malformed_persistent_id_is_an_unpickling_error_naming_the_file(write_archive, pid):
    tree = Scripted(weight=Rebuild(('raw id', pid), (2, )))
    with pytest.raises(pickle.UnpicklingError, match=r'crafted_0\.pt.*malformed persistent id'):
        read_torchscript_tensors(write_archive(tree, {'0': bytes(8)}))


def test_a_cyclic_object_tree_is_refused(write_archive):
    parent, child = Scripted(), Scripted()
    parent.state.update(weight=Rebuild((torch.float32, '0', 2), (2, )), child=child)
    child.state.update(parent=parent)
    with pytest.raises(pickle.UnpicklingError, match=r'crafted_0\.pt.*cyclic \(at child.parent\)'):
        read_torchscript_tensors(write_archive(parent, {'0': bytes(8)}))
    deep = Scripted(weight=Rebuild((torch.float32, '0', 2), (2, )))
    for _ in range(2 * sys.getrecursionlimit()):  # deeper than Python's recursion limit, and no cycle: it reads
        deep = Scripted(inner=deep)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20 * limit)  # for pickling the tree here; reading it recurses no deeper than this
    try:
        path = write_archive(deep, {'0': bytes(8)})
    finally:
        sys.setrecursionlimit(limit)
    assert list(read_torchscript_tensors(path)) == ['inner.' * 2 * limit + 'weight']
