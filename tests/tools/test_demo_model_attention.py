"""Acceptance on the demo's LoKi model: attention on the moving shape, maps that follow it, named top-1.

Uses the model of ``make demo`` (``work_dirs/demo/loki`` on ``data/demo``) when it is there.
Otherwise a reduced demo is trained here, with the demo's own configs: frame pretraining
(4 epochs, 50 frames per class), then LoKi on one video per class (its top-1 is then
checked on those training videos: the point is that the tools name what the model knows).
"""
import glob
import importlib.util
import json
import os.path as osp

import cv2
import decord
import numpy as np
import pytest
import torch
from mmengine.registry import TRANSFORMS

from loki_video.apis import init_model, model_inputs, read_labels
from loki_video.config import load_config
from loki_video.datasets.synthetic_actions import ACTION_CLASSES, generate_dataset, generate_frame_dataset
from loki_video.engine.run_setup import add_engine_hooks, build_runner
from loki_video.visualization import class_attention_maps

DEMO_RUN = 'work_dirs/demo/loki'
DEMO_DATA = 'data/demo'
FRAME_CONFIG = 'configs/demo/frame_pretrain.py'
LOKI_CONFIG = 'configs/demo/loki.py'
MIN_RATIO = 1.5   # untrained weights give 1.0


def demo_checkpoint():
    """The checkpoint ``make demo`` left in ``DEMO_RUN`` (mmengine's ``last_checkpoint``), or None."""
    pointer = osp.join(DEMO_RUN, 'last_checkpoint')
    if not (osp.isfile(pointer) and osp.isfile(osp.join(DEMO_DATA, 'test_boxes.json'))):
        return None
    with open(pointer) as f:
        path = f.read().strip()
    return path if osp.isfile(path) else None


def train(config, work_dir, options):
    """Train a demo config for the reduced run (no validation); return its last checkpoint."""
    cfg = load_config(config)
    cfg.merge_from_dict(options)
    cfg.work_dir = work_dir
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    add_engine_hooks(cfg)
    build_runner(cfg).train()
    return osp.join(work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth')


IN_PROCESS = dict(num_workers=0, persistent_workers=False)


def reduced_demo(root):
    """Frame pretraining, then LoKi on one video per class; returns ``init_model`` options."""
    data = str(root / 'data')
    generate_dataset(data, dict(train=1, test=2), num_frames=16, size=(64, 64))
    generate_frame_dataset(data, dict(train=50), size=(64, 64))
    cosine = lambda epochs: [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=epochs,   # noqa: E731
                                  convert_to_iter_based=True)]
    pretrained = train(FRAME_CONFIG, str(root / 'pretrain'), dict(
        train_dataloader=dict(IN_PROCESS, dataset=dict(data_root=data)), param_scheduler=cosine(4),
        train_cfg=dict(max_epochs=4, val_interval=5)))
    paths = {f'{split}_dataloader.dataset.{key}': value for split in ('train', 'test')
             for key, value in (('ann_file', f'{data}/{split}_list.txt'), ('data_prefix.video', data))}
    options = {'model.backbone.pretrained': pretrained, 'label_file': f'{data}/classes.txt', **paths}
    checkpoint = train(LOKI_CONFIG, str(root / 'loki'), dict(
        options, train_dataloader=dict(IN_PROCESS, batch_size=8), param_scheduler=cosine(25),
        train_cfg=dict(max_epochs=25, val_interval=26)))
    return dict(checkpoint=checkpoint, options=options, data=data, top1_split='train')


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    """``checkpoint``, ``options`` (for init_model), ``data`` root and the split whose top-1 is checked."""
    checkpoint = demo_checkpoint()
    if checkpoint is None:
        return reduced_demo(tmp_path_factory.mktemp('reduced_demo'))
    meta = torch.load(checkpoint, map_location='cpu', weights_only=False)['meta'].get('tunable_checkpoint', {})
    options = {'label_file': f'{DEMO_DATA}/classes.txt'}
    if meta.get('mode') == 'tunable':
        options['model.backbone.pretrained'] = meta['pretrained_file']
    return dict(checkpoint=checkpoint, options=options, data=DEMO_DATA, top1_split='test')


@pytest.fixture(scope='module')
def model(demo):
    return init_model(LOKI_CONFIG, demo['checkpoint'], cfg_options=demo['options'])


def sampled_frames(cfg, total_frames):
    """Frame indices that the test pipeline's frame sampler picks from a video."""
    sampler = next(t for t in cfg.test_dataloader.dataset.pipeline if 'num_clips' in t)
    return TRANSFORMS.build(sampler)(dict(total_frames=total_frames, start_index=0))['frame_inds']


def box_coverage(grid, box, image_size):
    """Share of each patch (h, w) covered by an [x1, y1, x2, y2] box of a whole (H, W) frame."""
    (h, w), (height, width), (x1, y1, x2, y2) = grid, image_size, box
    rows, cols = np.linspace(0, height, h + 1), np.linspace(0, width, w + 1)
    in_rows = np.clip(np.minimum(rows[1:], y2) - np.maximum(rows[:-1], y1), 0, None) / (height / h)
    in_cols = np.clip(np.minimum(cols[1:], x2) - np.maximum(cols[:-1], x1), 0, None) / (width / w)
    return in_rows[:, None] * in_cols[None]


def inside_outside(maps, boxes, image_size):
    """Mean attention per patch inside and outside the boxes (coverage-weighted), over all maps."""
    inside = outside = inside_area = outside_area = 0.0
    for attention_map, box in zip(maps, boxes):
        coverage = box_coverage(attention_map.shape, box, image_size)
        inside += (attention_map * coverage).sum()
        outside += (attention_map * (1 - coverage)).sum()
        inside_area += coverage.sum()
        outside_area += (1 - coverage).sum()
    return inside / inside_area, outside / outside_area


def centroid_x(attention_map):
    return float((attention_map.sum(0) * np.arange(attention_map.shape[1])).sum())


@pytest.fixture(scope='module')
def test_videos(demo, model):
    """Per test video: class name, boxes of the sampled frames, maps of the last block and of rollout."""
    records = json.load(open(osp.join(demo['data'], 'test_boxes.json')))
    frames = sampled_frames(model.cfg, records['num_frames'])
    videos = []
    for path, record in sorted(records['videos'].items()):
        batch = model_inputs(model.cfg, osp.join(demo['data'], path), views=(1, 1))
        maps = {mode: class_attention_maps(model, batch, mode)[0].numpy() for mode in ('last', 'rollout')}
        videos.append(dict(path=path, action=path.split('/')[-2], boxes=[record['boxes'][i] for i in frames],
                           maps=maps))
    return dict(videos=videos, image_size=records['image_size'])


@pytest.mark.parametrize('mode', ['last', 'rollout'])
def test_attention_concentrates_on_the_shape(test_videos, mode):
    maps = [m for v in test_videos['videos'] for m in v['maps'][mode]]
    boxes = [b for v in test_videos['videos'] for b in v['boxes']]
    inside, outside = inside_outside(maps, boxes, test_videos['image_size'])
    print(f'{mode}: mean attention per patch inside the box / outside = {inside / outside:.2f} '
          f'over {len(maps)} frames')
    assert inside / outside > MIN_RATIO


def test_maps_follow_the_moving_shape(test_videos):
    for video in test_videos['videos']:
        first, last = video['maps']['rollout'][0], video['maps']['rollout'][-1]
        assert np.abs(first - last).sum() > 0.05, video['path']
    sideways = [v for v in test_videos['videos'] if v['action'] in ('move_left', 'move_right')]
    moved = [centroid_x(v['maps']['rollout'][-1]) - centroid_x(v['maps']['rollout'][0]) for v in sideways]
    right = [shift > 0 for v, shift in zip(sideways, moved) if v['action'] == 'move_right']
    left = [shift < 0 for v, shift in zip(sideways, moved) if v['action'] == 'move_left']
    assert np.mean(right + left) >= 0.75


def load_tool(path):
    spec = importlib.util.spec_from_file_location(osp.splitext(osp.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_attention_on_an_image_at_twice_the_resolution(demo, tmp_path):
    records = json.load(open(osp.join(demo['data'], 'test_boxes.json')))
    path, record = sorted(records['videos'].items())[0]
    frame = decord.VideoReader(osp.join(demo['data'], path))[0].asnumpy()
    image = str(tmp_path / 'frame.png')
    cv2.imwrite(image, frame[..., ::-1])
    load_tool('tools/visualize_attention.py').main(
        [LOKI_CONFIG, demo['checkpoint'], image, '--out', str(tmp_path), '--mode', 'rollout',
         '--size', '96', '96', '--cfg-options', *[f'{k}={v}' for k, v in demo['options'].items()]])
    maps = np.load(tmp_path / 'frame_attention.npy')
    assert maps.shape == (8, 12, 12)                      # 48x48 training frames: 6x6 patches
    assert np.allclose(maps.sum((1, 2)), 1, atol=1e-5)
    inside, outside = inside_outside(maps, [record['boxes'][0]] * len(maps), records['image_size'])
    print(f'image at 96x96: inside / outside = {inside / outside:.2f}')
    assert inside / outside > MIN_RATIO


def test_demo_tool_names_the_right_class(demo, capsys):
    split = demo['top1_split']
    videos = [sorted(glob.glob(osp.join(demo['data'], 'videos', split, action, '*.mp4')))[0]
              for action in ACTION_CLASSES]
    load_tool('tools/demo.py').main([*videos, LOKI_CONFIG, demo['checkpoint'], '--topk', '3', '--cfg-options',
                                     *[f'{k}={v}' for k, v in demo['options'].items()]])
    printed = capsys.readouterr().out
    names = read_labels(demo['options']['label_file'])
    right = [f'{video}\n  1. {action} ({names.index(action)})' in printed
             for video, action in zip(videos, ACTION_CLASSES)]
    print(printed)
    assert np.mean(right) >= 0.75, printed
