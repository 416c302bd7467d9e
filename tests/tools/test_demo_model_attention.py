"""Acceptance on the demo's LoKi model: attention on the moving shape, maps that follow it, named top-1.

A reduced demo is trained here with the demo's own configs: frame pretraining on 100 frames per
class (tests/conftest.py), then LoKi on four videos per class (its top-1 is then checked on those
training videos: the point is that the tools name what the model knows).
"""
import glob
import json
import os.path as osp

import cv2
import decord
import numpy as np
import pytest
from mmengine.registry import TRANSFORMS

from loki_video.apis import init_model, model_inputs, read_labels
from loki_video.datasets.synthetic_actions import ACTION_CLASSES, generate_dataset
from loki_video.visualization import class_attention_maps

from tool_loading import load_tool

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)

RUN_DEMO = load_tool('tools/run_demo.py')      # the demo's data settings and configs
LOKI_CONFIG = RUN_DEMO.METHODS['loki']
# Mean attention per patch inside the shape's box / outside, at least (untrained weights: 1.0).
MIN_RATIO = dict(last=1.0, rollout=1.5)
# tools/demo.py runs on the first videos of each class (3 or all there are).
VIDEOS_PER_CLASS = 3
# The reduced demo: training videos per class and LoKi epochs.
REDUCED = dict(videos_per_class=4, video_epochs=12)


@pytest.fixture(scope='module')
def demo(tmp_path_factory, frame_pretrained_vit, train_config):
    """The demo's LoKi stage, reduced: the synthetic videos (fewer), LoKi on the frame-pretrained ViT
    (``frame_pretrained_vit``, tests/conftest.py). The same model whether or not ``make demo`` ran.
    Its top-1 is checked on the training videos: the point is that the tools name what the model knows.

    Returns:
        ``checkpoint``, ``options`` (for init_model), ``data`` root and the split whose top-1 is checked.
    """
    data = str(tmp_path_factory.mktemp('reduced_demo') / 'data')
    generate_dataset(data, **dict(RUN_DEMO.VIDEOS, videos_per_class=dict(train=REDUCED['videos_per_class'], test=4)))
    paths = {f'{split}_dataloader.dataset.{key}': value for split in ('train', 'test')
             for key, value in (('ann_file', f'{data}/{split}_list.txt'), ('data_prefix.video', data))}
    options = {'model.backbone.pretrained': frame_pretrained_vit, 'label_file': f'{data}/classes.txt', **paths}
    checkpoint = train_config(LOKI_CONFIG, osp.join(osp.dirname(data), 'loki'),
                              dict(train_dataloader=dict(batch_size=8)), options, epochs=REDUCED['video_epochs'])
    return dict(checkpoint=checkpoint, options=options, data=data, top1_split='train')


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
    assert inside / outside > MIN_RATIO[mode]


def test_maps_follow_the_moving_shape(test_videos):
    changes = [np.abs(v['maps']['rollout'][0] - v['maps']['rollout'][-1]).sum() for v in test_videos['videos']]
    assert min(changes) > 1e-4 and np.median(changes) > 0.1
    sideways = [v for v in test_videos['videos'] if v['action'] in ('move_left', 'move_right')]
    moved = [centroid_x(v['maps']['rollout'][-1]) - centroid_x(v['maps']['rollout'][0]) for v in sideways]
    right = [shift > 0 for v, shift in zip(sideways, moved) if v['action'] == 'move_right']
    left = [shift < 0 for v, shift in zip(sideways, moved) if v['action'] == 'move_left']
    assert np.mean(right + left) >= 0.75


def test_attention_on_images_at_twice_the_resolution(demo, model, tmp_path):
    """First frames of one test video per class, as PNG images, at twice the training resolution."""
    backbone = model.cfg.model.backbone
    size = 2 * backbone.img_size
    grid = size // backbone.arch.patch_size
    records = json.load(open(osp.join(demo['data'], 'test_boxes.json')))
    firsts = {path.split('/')[-2]: (path, record) for path, record in sorted(records['videos'].items(), reverse=True)}
    (tmp_path / 'frames').mkdir()
    for action, (path, _) in firsts.items():
        frame = decord.VideoReader(osp.join(demo['data'], path))[0].asnumpy()
        cv2.imwrite(str(tmp_path / 'frames' / f'{action}.png'), frame[..., ::-1])
    load_tool('tools/visualize_attention.py').main(
        [LOKI_CONFIG, demo['checkpoint'], str(tmp_path / 'frames'), '--out', str(tmp_path / 'out'),
         '--mode', 'rollout', '--size', str(size), str(size), '--cfg-options',
         *[f'{k}={v}' for k, v in demo['options'].items()]])
    maps, boxes = [], []
    for action, (_, record) in firsts.items():
        image_maps = np.load(tmp_path / 'out' / f'{action}_attention.npy')
        assert image_maps.shape == (backbone.num_frames, grid, grid)     # a still clip, twice the patch grid
        assert np.allclose(image_maps.sum((1, 2)), 1, atol=1e-5)
        maps += list(image_maps)
        boxes += [record['boxes'][0]] * len(image_maps)
    inside, outside = inside_outside(maps, boxes, records['image_size'])
    print(f'images at {size}x{size}, rollout: inside / outside = {inside / outside:.2f}')
    assert inside / outside > MIN_RATIO['rollout']


def test_demo_tool_names_the_right_class(demo, capsys):
    split = demo['top1_split']
    videos, actions = [], []
    for action in ACTION_CLASSES:
        first = sorted(glob.glob(osp.join(demo['data'], 'videos', split, action, '*.mp4')))[:VIDEOS_PER_CLASS]
        videos += first
        actions += [action] * len(first)
    load_tool('tools/demo.py').main([LOKI_CONFIG, demo['checkpoint'], *videos, '--topk', '3', '--cfg-options',
                                     *[f'{k}={v}' for k, v in demo['options'].items()]])
    printed = capsys.readouterr().out
    names = read_labels(demo['options']['label_file'])
    right = [f'{video}\n  1. {action} ({names.index(action)})' in printed
             for video, action in zip(videos, actions)]
    print(printed)
    assert np.mean(right) >= 0.75, printed
