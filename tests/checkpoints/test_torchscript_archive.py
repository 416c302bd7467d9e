"""TorchScript archives are read as weights: nothing from the archive is compiled or run."""
import os
import pickle
import zipfile
from typing import Dict

import pytest
import torch
from torch import nn

from loki_video.checkpoints import formats, read_torchscript_tensors


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
