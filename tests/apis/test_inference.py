"""Inference API: tunable-only checkpoints restored, videos/frames/images classified, top-k named."""
import copy
import subprocess
import sys

import cv2  # noqa: F401  (before decord, see tests/datasets/conftest.py)
import decord
import numpy as np
import pytest
import torch
from mmengine.config import Config

from loki_video.apis import inference_image, inference_video, init_model, read_labels
from loki_video.apis.export import export_checkpoint
from loki_video.checkpoints.safe_read import safe_torch_load
from loki_video.config import build_model, load_config
from loki_video.datasets.synthetic_actions import generate_dataset
from loki_video.engine.run_setup import build_runner

TINY_VIDEO = 'tests/tools/configs/tiny_video.py'


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """One epoch (2 iterations) of the tiny video config on a pretrained file: its tunable-only checkpoint."""
    root = tmp_path_factory.mktemp('api')
    data = str(root / 'data')
    generate_dataset(data, dict(train=1, test=1), num_frames=8, size=(32, 32))
    cfg = load_config(TINY_VIDEO)
    pretrained = str(root / 'pretrained.pth')
    torch.save(build_model(cfg).backbone.state_dict(), pretrained)
    cfg.model.backbone.pretrained = pretrained
    cfg.train_dataloader.dataset.data_root = data
    cfg.train_dataloader.batch_size = 4
    cfg.merge_from_dict(dict(train_cfg=dict(max_epochs=1, val_interval=10), work_dir=str(root / 'run')))
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.param_scheduler = None
    cfg.test_dataloader.dataset.data_root = data
    runner = build_runner(cfg)
    runner.train()
    return dict(cfg=cfg, checkpoint=str(root / 'run' / 'epoch_1.pth'), data=data, root=root,
                state=runner.model.state_dict(), labels=f'{data}/classes.txt')


@pytest.fixture(scope='module')
def model(trained):
    return init_model(trained['cfg'], trained['checkpoint'])


def test_init_model_restores_a_tunable_only_checkpoint(trained, model):
    saved = safe_torch_load(trained['checkpoint'])
    assert saved['meta']['tunable_checkpoint']['mode'] == 'tunable'
    assert len(saved['state_dict']) < len(trained['state'])
    assert not model.training
    for key, value in model.state_dict().items():
        assert torch.equal(value, trained['state'][key]), key


def test_a_tunable_only_checkpoint_needs_its_pretrained_file(trained):
    other = str(trained['root'] / 'other.pth')
    weights = torch.load(trained['cfg'].model.backbone.pretrained)
    # other frozen weights; the slots' knot vectors stay (a different grid is refused on its own)
    torch.save({k: v if k.endswith('.grid') else v + 1 for k, v in weights.items()}, other)
    with pytest.raises(RuntimeError, match='sha256'):
        init_model(trained['cfg'], trained['checkpoint'], cfg_options={'model.backbone.pretrained': other})


def test_video_path_and_frames_give_the_same_sorted_topk(trained, model):
    video = f"{trained['data']}/videos/test/grow/0000.mp4"
    names = read_labels(trained['labels'])
    from_file = inference_video(model, video, topk=3, labels=trained['labels'])
    assert [p['name'] for p in from_file] == [names[p['index']] for p in from_file]
    scores = [p['score'] for p in from_file]
    assert scores == sorted(scores, reverse=True) and len(scores) == 3
    frames = decord.VideoReader(video).get_batch(range(8)).asnumpy()
    from_frames = inference_video(model, frames, topk=3)
    assert [i for i, _ in from_frames] == [p['index'] for p in from_file]
    assert np.allclose([s for _, s in from_frames], scores, atol=1e-5)
    assert len(inference_video(model, video, topk=8, views='2x3')) == 8


def test_an_image_is_a_still_clip_for_a_video_model(model):
    image = np.random.default_rng(0).integers(0, 255, (40, 40, 3), dtype=np.uint8)
    as_image = inference_image(model, image, topk=8)
    as_clip = inference_video(model, np.repeat(image[None], 4, axis=0), topk=8)
    assert [i for i, _ in as_image] == [i for i, _ in as_clip]
    assert np.allclose([s for _, s in as_image], [s for _, s in as_clip], atol=1e-5)
    with pytest.raises(ValueError, match='use inference_video'):
        inference_image(model, np.repeat(image[None], 4, axis=0))
    with pytest.raises(ValueError, match='3 label names'):
        inference_image(model, image, labels=['a', 'b', 'c'])


def test_image_config_classifies_image_files_and_arrays(tmp_path):
    cfg = Config(dict(
        default_scope='mmpretrain',
        model=dict(type='ImageClassifier',
                   backbone=dict(type='TunableViT', arch='tiny', img_size=32, num_frames=1),
                   head=dict(type='LinearClsHead', num_classes=4, in_channels=64),
                   data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3, to_rgb=True)),
        test_dataloader=dict(dataset=dict(pipeline=[
            dict(type='LoadImageFromFile'), dict(type='ResizeEdge', scale=32), dict(type='CenterCrop', crop_size=32),
            dict(type='PackInputs')]))))
    torch.manual_seed(0)
    model = init_model(cfg)
    image = np.random.default_rng(1).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    path = str(tmp_path / 'image.png')
    cv2.imwrite(path, image[..., ::-1])
    from_file = inference_image(model, path, topk=4, labels=['a', 'b', 'c', 'd'])
    from_array = inference_image(model, image, topk=4)
    assert [p['index'] for p in from_file] == [i for i, _ in from_array]
    assert np.allclose([p['score'] for p in from_file], [s for _, s in from_array], atol=1e-5)
    assert sum(p['score'] for p in from_file) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match='needs a video'):
        inference_video(model, np.zeros((4, 32, 32, 3), np.uint8))


def test_mmaction_init_recognizer_refuses_a_tunable_only_checkpoint_and_reads_an_exported_one(trained, model,
                                                                                           tmp_path):
    from mmaction.apis import init_recognizer  # sets model.backbone.pretrained=None before building
    with pytest.raises(RuntimeError, match=r'built without pretrained weights.*tools/export_checkpoint.py'):
        init_recognizer(copy.deepcopy(trained['cfg']), trained['checkpoint'], device='cpu')
    assert export_checkpoint(trained['cfg'], trained['checkpoint'], tmp_path / 'full.safetensors') == \
        len(model.state_dict())
    config = tmp_path / 'config.py'
    trained['cfg'].dump(str(config))
    done = subprocess.run([sys.executable, 'tools/export_checkpoint.py', str(config), trained['checkpoint'],
                           str(tmp_path / 'full.pth')], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    for exported in ('full.safetensors', 'full.pth'):
        recognizer = init_recognizer(copy.deepcopy(trained['cfg']), str(tmp_path / exported), device='cpu')
        assert recognizer.backbone.pretrained is None
        for key, value in model.state_dict().items():
            assert torch.equal(recognizer.state_dict()[key], value), (exported, key)
