"""The tools' workspace, shared by the modules that run tools/train.py and tools/test.py: synthetic
videos, a pretrained tiny backbone, a config, and one uninterrupted training run to compare with."""
import sys

import pytest

from loki_video.datasets.synthetic_actions import generate_dataset

from tiny_runner import TINY_CONFIG, run_tool, write_pretrained

CONFIG = """_base_ = ['{base}']
model = dict(backbone=dict(pretrained='{pretrained}'))
train_dataloader = dict(dataset=dict(data_root='{data_root}'))
val_dataloader = dict(dataset=dict(data_root='{data_root}'))
test_dataloader = dict(dataset=dict(data_root='{data_root}'))
"""


@pytest.fixture(scope='session')
def workspace(tmp_path_factory):
    """``(root, config, pretrained)``: synthetic videos (8 classes: 16 train, 8 val, 8 test) under
    ``root/data``, a pretrained tiny backbone file and a config training on them."""
    root = tmp_path_factory.mktemp('tools')
    generate_dataset(str(root / 'data'), dict(train=2, val=1, test=1), num_frames=16, size=(32, 32))
    pretrained = write_pretrained(root / 'pretrained_tiny.pth')
    config = root / 'tiny.py'
    config.write_text(CONFIG.format(base=TINY_CONFIG, pretrained=pretrained, data_root=root / 'data'))
    return root, config, pretrained


@pytest.fixture(scope='session')
def trained(workspace):
    """Work dir of an uninterrupted 2-epoch run of the workspace config."""
    root, config, _ = workspace
    work_dir = root / 'uninterrupted'
    run_tool(sys.executable, 'tools/train.py', str(config), '--work-dir', str(work_dir))
    return work_dir
