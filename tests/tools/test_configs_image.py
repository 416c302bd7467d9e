"""Every image config (8 methods x 2 backbones x 7 datasets) builds, trains exactly what its
method says, and its data pipeline turns a sample into a 224x224 input of the model.

The models are built with a tiny backbone (cfg options), so ViT-B is never instantiated.
"""
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS, MODELS
from mmpretrain.structures import DataSample

from loki_video.models.peft import Adapter, KANAdapter, LoKi

from tool_loading import load_tool

REPO = Path(__file__).resolve().parents[2]
grid = load_tool('configs/image/grid.py')

TINY = {'model.backbone.arch': 'tiny', 'model.backbone.pretrained': None,
        'model.backbone.img_size': 32, 'model.head.in_channels': 64}
NUM_CLASSES = {'cifar10': 10, 'cifar100': 100, 'food101': 101, 'mnist': 10, 'dtd': 47,
               'fgvc-aircraft': 100, 'ddsm': 2}
SLOT_MODULES = {'adapter': Adapter, 'kan': KANAdapter, 'loki': LoKi}
pytestmark = pytest.mark.usefixtures('one_thread')


def is_slot(name):
    return '.spatial_slot.' in name or '.mlp_slot.' in name


# Which parameters of the classifier learn, per method (the head always does).
TRAINS = {
    'full-finetune': lambda name: True,
    'linear-probe': lambda name: False,
    'bias': lambda name: name.endswith('.bias'),
    'prompt': lambda name: name == 'backbone.prompt.tokens',
    'lora': lambda name: name.rsplit('.', 1)[-1] in ('lora_A', 'lora_B'),
    'adapter': is_slot,
    'kan': is_slot,
    'loki': is_slot,
}


def load(path, options=TINY):
    cfg = Config.fromfile(str(path))
    cfg.merge_from_dict(options)
    init_default_scope(cfg.default_scope)
    return cfg


def labelled_batch(images, labels):
    """A dataloader-like batch: a list of (3, H, W) uint8 tensors and their DataSamples."""
    samples = [DataSample().set_gt_label(label) for label in labels]
    return {'inputs': list(images), 'data_samples': samples}


def test_grid_files_are_current():
    stale = [grid.config_path(*cell) for cell in grid.grid()
             if not grid.config_path(*cell).is_file()
             or grid.config_path(*cell).read_text() != grid.config_text(*cell)]
    assert not stale, f'run python configs/image/grid.py; stale: {stale[:3]}'
    assert len(grid.grid()) == 112
    written = sorted((REPO / 'configs' / 'image').glob('*/*.py'))
    assert len([p for p in written if '_base_' not in p.parts]) == 112


@pytest.mark.parametrize('cell', grid.grid(), ids=lambda cell: grid.experiment_name(*cell))
def test_config_trains_exactly_its_method(cell):
    method, backbone, dataset = cell
    cfg = load(grid.config_path(*cell))
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.model.head.num_classes == NUM_CLASSES[dataset]
    assert cfg.train_dataloader.batch_size == 32
    assert cfg.optim_wrapper.optimizer.lr == 4e-4 and cfg.param_scheduler[0].eta_min == 1e-4
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    assert model.backbone.num_frames == 1 and not hasattr(model.backbone, 'temporal_embed')
    for block in model.backbone.blocks:
        assert block.temporal_slot is None and block.temporal_in_slot is None
        if method in SLOT_MODULES:
            assert isinstance(block.spatial_slot, SLOT_MODULES[method])
            assert isinstance(block.mlp_slot, SLOT_MODULES[method])
            assert block.mlp_scale == 2.0
        else:
            assert block.spatial_slot is None and block.mlp_slot is None

    named = dict(model.named_parameters())
    expected = {n for n in named if n.startswith('head.') or TRAINS[method](n)}
    assert {n for n, p in named.items() if p.requires_grad} == expected
    assert any(not n.startswith('head.') for n in expected) == (method != 'linear-probe')

    with torch.no_grad():  # move zero-initialised outputs (adapter fc2, lora_B, ...) off zero
        for name in expected:
            named[name].add_(0.02 * torch.randn_like(named[name]))
    images = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    data = model.data_preprocessor(labelled_batch(images, [0, 1]), True)
    model(**data, mode='loss')['loss'].backward()
    for name, param in named.items():
        if name in expected:
            assert param.grad is not None and param.grad.abs().sum() > 0, f'{name} got no gradient'
        else:
            assert param.grad is None, f'frozen {name} got a gradient'


def sample_input(dataset, tmp_path):
    """A raw sample as the dataset class yields it: an array, or an image file to load."""
    rng = np.random.default_rng(0)
    if dataset in ('cifar10', 'cifar100'):
        return {'img': rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)}
    if dataset == 'mnist':
        return {'img': rng.integers(0, 256, (28, 28), dtype=np.uint8)}
    path = tmp_path / f'{dataset}.png'
    cv2.imwrite(str(path), rng.integers(0, 256, (180, 260, 3), dtype=np.uint8))
    return {'img_path': str(path)}


@pytest.mark.parametrize('dataset', list(grid.DATASETS))
def test_pipelines_feed_the_model(dataset, tmp_path):
    cell = ('loki', 'clip-vit-b16', dataset)
    cfg = load(grid.config_path(*cell), dict(TINY, **{'model.backbone.img_size': 224}))
    packed = []
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        sample = dict(sample_input(dataset, tmp_path), gt_label=1)
        packed.append(Compose(loader.dataset.pipeline)(sample))
        assert packed[-1]['inputs'].shape == (3, 224, 224), loader.dataset.pipeline
    model = MODELS.build(cfg.model)
    data = model.data_preprocessor(labelled_batch([p['inputs'] for p in packed], [1] * 3), True)
    assert torch.isfinite(model(**data, mode='loss')['loss'])


def test_missing_data_names_the_path_and_the_docs(tmp_path):
    cfg = load(grid.config_path('loki', 'vit-b16-in21k', 'cifar10'))
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'cifar10')
    with pytest.raises(FileNotFoundError) as error:
        DATASETS.build(cfg.train_dataloader.dataset)
    message = str(error.value)
    assert str(tmp_path / 'cifar10' / 'cifar-10-batches-py') in message
    assert 'data/README.md' in message and 'data_root' in message


def test_ddsm_layout_from_an_image_folder(tmp_path):
    rng = np.random.default_rng(0)
    for name, count in (('benign', 12), ('malignant', 8)):
        (tmp_path / 'src' / name / 'scans').mkdir(parents=True)
        for i in range(count):
            cv2.imwrite(str(tmp_path / 'src' / name / 'scans' / f'{i}.png'),
                        rng.integers(0, 256, (40, 30), dtype=np.uint8))
    tool = REPO / 'tools' / 'data' / 'image_folder_to_custom.py'
    out = tmp_path / 'ddsm'
    subprocess.run([sys.executable, str(tool), str(tmp_path / 'src'), str(out), '--ratios', '0.5', '0.25', '0.25'],
                   check=True, capture_output=True)
    assert (out / 'classes.txt').read_text().split() == ['benign', 'malignant']
    missing = subprocess.run([sys.executable, str(tool), str(tmp_path / 'nowhere'), str(out)],
                             capture_output=True, text=True)
    assert missing.returncode != 0 and str(tmp_path / 'nowhere') in missing.stderr

    cfg = load(grid.config_path('loki', 'vit-b16-in21k', 'ddsm'))
    sizes = {}
    for split, loader in zip(('train', 'val', 'test'),
                             (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader)):
        loader.dataset.data_root = str(out)
        dataset = DATASETS.build(loader.dataset)
        assert dataset.CLASSES == ('benign', 'malignant')
        sizes[split] = len(dataset)
        assert dataset[0]['inputs'].shape == (3, 224, 224)
    assert sizes == {'train': 10, 'val': 5, 'test': 5}
