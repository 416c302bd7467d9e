"""tools/analysis/params.py on the Kinetics-400 8-frame CLIP ViT-B/16 models."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = {'temporal_slot', 'spatial_slot', 'mlp_slot'}


def params_json(config):
    out = subprocess.run([sys.executable, 'tools/analysis/params.py', config, '--json'], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.mark.parametrize('config, per_slot, tunable', [
    ('configs/aim_k400_8x1x1.py', 12 * 295_872, 10_966_672),
    ('configs/loki_k400_8x1x1.py', 12 * 171_360, 6_484_240),
])
def test_kinetics400_vit_b16_counts(config, per_slot, tunable):
    counts = params_json(config)
    groups = {g: c['tunable'] for g, c in counts['groups'].items()}
    assert {g: groups[g] for g in ADAPTERS} == {g: per_slot for g in ADAPTERS}
    assert sum(groups[g] for g in ADAPTERS) == 3 * per_slot
    assert groups['temporal_embed'] == 6_144
    assert groups['final_norm'] == 1_536
    assert groups['head'] == 307_600
    assert groups['pretrained'] == 0
    assert counts['tunable'] == tunable


def test_cfg_options_and_table_output():
    out = subprocess.run([sys.executable, 'tools/analysis/params.py', 'configs/_base_/models/loki_vit_b16_clip.py',
                          '--cfg-options', 'model.backbone.arch=tiny', 'model.cls_head.in_channels=64'],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert 'tunable' in out and 'mlp_slot' in out and 'all' in out
