"""ONNX export (loki_video.apis.onnx_export, tools/deployment/export_onnx.py): onnxruntime equals PyTorch."""
import sys

import numpy as np
import onnxruntime
import pytest
import torch

from loki_video.apis.onnx_export import ExportableRecognizer, export_onnx, verify_onnx
from loki_video.config import build_model, load_config

from tiny_runner import TINY_CONFIG
from tool_loading import load_tool

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)

TINY_AIM = ('configs/aim_k400_8x1x1.py', {'model.backbone.arch': 'tiny', 'model.backbone.pretrained': None,
                                          'model.cls_head.in_channels': 64})


def full_checkpoint(config, options, path):
    """A checkpoint of every weight of the config's model, randomly initialised; the weights that start at
    zero (LoKi's and AIM's last layers, so that the slots start silent) random too, so the slots count."""
    torch.manual_seed(0)
    state = build_model(load_config(config, options)).state_dict()
    for tensor in state.values():
        if tensor.is_floating_point() and not tensor.any():
            tensor.normal_(std=0.05)
    torch.save({'state_dict': state}, path)
    return str(path)


@pytest.mark.parametrize('config,options', [(str(TINY_CONFIG), {}), TINY_AIM], ids=['LoKi', 'AIM'])
def test_onnxruntime_equals_pytorch_on_a_real_clip(config, options, real_video, tmp_path):
    out = str(tmp_path / 'model.onnx')
    model, shape = export_onnx(config, full_checkpoint(config, options, tmp_path / 'full.pth'), out, (2, 1), options)
    assert shape[0] == 2   # 2 clips x 1 crop
    check = verify_onnx(out, model, real_video, (2, 1), repeats=1)
    assert check['max_abs_diff'] < 1e-4 and check['threads'] == torch.get_num_threads(), check
    session = onnxruntime.InferenceSession(out, providers=['CPUExecutionProvider'])
    batch = torch.rand(3, *shape) * 255   # the batch is dynamic
    with torch.no_grad():
        want = ExportableRecognizer(model)(batch).numpy()
    got = session.run(None, {'inputs': batch.numpy()})[0]
    assert got.shape == (3, model.cls_head.num_classes) and np.abs(got - want).max() < 1e-4


def test_the_tool_prints_the_shapes_and_the_check(real_video, tmp_path, monkeypatch, capsys):
    checkpoint = full_checkpoint(str(TINY_CONFIG), {}, tmp_path / 'full.pth')
    monkeypatch.setattr(sys, 'argv', ['export_onnx.py', str(TINY_CONFIG), checkpoint, str(tmp_path / 'm.onnx'),
                                      '--verify', real_video])
    load_tool('tools/deployment/export_onnx.py').main()
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-2] == f'{tmp_path / "m.onnx"}: inputs (N, 1, 3, 4, 32, 32) -> scores (N, 8)'
    assert lines[-1].startswith(f'{real_video}: max |onnxruntime - PyTorch| = ') and 'onnxruntime' in lines[-1]
