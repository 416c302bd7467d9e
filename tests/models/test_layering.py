"""The model layer stands on its own: no hooks, metrics or datasets, no global side effects."""
import subprocess
import sys

import torch
from timm.models.vision_transformer import VisionTransformer

from loki_video.models.backbones import TunableViT
from loki_video.models.backbones.aim_block import AIMBlock
from loki_video.models.backbones.archs import resolve_arch

PROBE = """
import sys
import loki_video.models
from mmengine.runner.checkpoint import CheckpointLoader, load_from_local
print(CheckpointLoader._schemes[''] is load_from_local)
print(' '.join(sorted(m for m in sys.modules if m.startswith('loki_video.'))))
"""


def test_importing_models_imports_no_hooks_metrics_or_datasets_and_registers_no_loader():
    result = subprocess.run([sys.executable, '-c', PROBE], capture_output=True, text=True, check=True)
    default_loader, modules = result.stdout.strip().splitlines()[-2:]
    assert default_loader == 'True'  # mmengine's local loader stays in place
    layers = {name.split('.')[1] for name in modules.split()}
    assert layers <= {'models', 'checkpoints', 'dependencies', 'user_error'}, layers


def test_tunable_vit_is_timms_vision_transformer_with_its_keys_and_initialisation():
    torch.manual_seed(0)
    backbone = TunableViT(arch='tiny', img_size=32, num_frames=4, slots=dict(mlp=dict(type='LoKi')))
    assert isinstance(backbone, VisionTransformer)
    torch.manual_seed(0)
    plain = VisionTransformer(img_size=32, num_classes=0, block_fn=AIMBlock, dynamic_img_size=True,
                              **resolve_arch('tiny'))
    extra = {k for k in backbone.state_dict() if 'slot' in k or k == 'temporal_embed'}
    assert set(backbone.state_dict()) - extra == set(plain.state_dict())
    assert all(torch.equal(value, backbone.state_dict()[key]) for key, value in plain.state_dict().items())
