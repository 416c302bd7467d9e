"""FLOPs: the added op handles, every config of the project, AIM's published numbers, the CLI."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from loki_video.analysis.flops import count_flops, flop_analyzer
from loki_video.config import build_model, load_config
from loki_video.models.peft import KANLinear

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / 'configs').rglob('*.py')
                 if '_base_' not in p.parts and p.name not in ('grid.py', 'tiny_vit.py'))


class AttentionAndSpline(nn.Module):
    def __init__(self):
        super().__init__()
        self.kan = KANLinear(6, 4, grid_size=5, spline_order=3)

    def forward(self, q, k, v, x):
        return F.scaled_dot_product_attention(q, k, v).sum() + self.kan(x).sum()


def test_attention_and_spline_handles():
    inputs = (torch.randn(2, 3, 5, 4), torch.randn(2, 3, 7, 4), torch.randn(2, 3, 7, 6), torch.randn(10, 6))
    analyzer = flop_analyzer(AttentionAndSpline(), inputs)
    by_op = analyzer.by_operator()
    assert by_op['scaled_dot_product_attention'] == 2 * 3 * 5 * 7 * (4 + 6)
    assert by_op['PythonOp.SplineLinear'] == 10 * 4 * 6 * 8  # tokens x out x in x bases
    assert by_op['linear'] == 10 * 6 * 4           # the base branch
    assert analyzer.total() == sum(by_op.values())


def test_the_triton_kan_counts_as_the_closed_form():
    """The Triton op (interpreted on CPU: conftest sets TRITON_INTERPRET=1) counts base and spline terms."""
    pytest.importorskip('triton')
    closed = KANLinear(6, 4, kan_backend='torch')
    fused = KANLinear(6, 4, kan_backend='triton').to('cuda' if torch.cuda.is_available() else 'cpu')
    x = torch.randn(10, 6, device=fused.base_weight.device)
    analyzer = flop_analyzer(fused, (x, ))
    assert analyzer.by_operator() == {'kan_linear': 10 * 4 * 6 * (8 + 1)}
    assert analyzer.total() == flop_analyzer(closed, (x.cpu(), )).total()
    assert not analyzer.unsupported_ops()   # spline_scaler multiplies inside the kernels


def tiny(cfg):
    """The config's model at width 64 with 2 blocks (same slots, pipeline and head)."""
    backbone = cfg.model.backbone
    backbone.pretrained = None
    if backbone.get('arch') != 'tiny' and not isinstance(backbone.get('arch'), dict):
        backbone.arch = 'tiny'
        (cfg.model.get('cls_head') or cfg.model.get('head')).in_channels = 64
    return cfg


@pytest.mark.parametrize('config', CONFIGS)
def test_every_config_is_counted_completely(config):
    cfg = tiny(load_config(config))
    report = count_flops(build_model(cfg), cfg)
    assert report['flops_per_view'] > 0
    assert report['uncounted_ops'] == {}
    assert report['flops_per_sample'] == report['flops_per_view'] * report['clips'] * report['crops']
    if cfg.default_scope == 'mmaction':
        assert report['input_shape'][3] == cfg.model.backbone.num_frames
        assert report['by_operator']['scaled_dot_product_attention'] > 0


def get_flops(*args):
    out = subprocess.run([sys.executable, 'tools/analysis/get_flops.py', *args, '--json'], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.mark.parametrize('config, per_view, per_video, tunable', [
    ('configs/aim_k400_8x1x1.py', 202, 606, 10_966_672),  # AIM README, K400, ViT-B/16, 8x3x1
    ('configs/aim_k400_16x1x1.py', 1214 / 3, 1214, 10_972_816)])  # 16 temporal embeddings
def test_aim_published_flops(config, per_view, per_video, tunable):
    report = get_flops(config, '--views', '3x1')
    assert (report['clips'], report['crops']) == (3, 1)
    assert report['flops_per_view'] / 1e9 == pytest.approx(per_view, rel=0.01)
    assert report['flops_per_sample'] / 1e9 == pytest.approx(per_video, rel=0.01)
    assert report['params']['tunable'] == tunable


def test_cli_on_tiny_configs_and_shape():
    report = get_flops('tests/tools/configs/tiny_video.py')
    assert report['input_shape'] == [1, 1, 3, 4, 32, 32]
    assert (report['clips'], report['crops']) == (1, 1)
    assert report['by_operator']['PythonOp.SplineLinear'] > 0
    wider = get_flops('tests/tools/configs/tiny_video.py', '--shape', '4', '64', '64', '--views', '2x3')
    assert wider['input_shape'] == [1, 1, 3, 4, 64, 64]
    # 17 tokens per frame instead of 5 (16 or 4 patches + class token); attention grows faster
    assert wider['flops_per_view'] > 17 / 5 * report['flops_per_view']
    assert wider['flops_per_sample'] == 6 * wider['flops_per_view']
    image = get_flops('configs/demo/frame_pretrain.py')
    assert image['input_shape'] == [1, 3, 32, 32]


def test_cli_errors_name_the_problem():
    result = subprocess.run([sys.executable, 'tools/analysis/get_flops.py', 'tests/tools/configs/tiny_video.py',
                             '--shape', '32', '32'], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0 and 'takes T H W' in result.stderr
    result = subprocess.run([sys.executable, 'tools/analysis/get_flops.py', 'configs/demo/tiny_vit.py'],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0 and 'no model type' in result.stderr
