import hashlib
import json
import os
import os.path as osp
import subprocess
import sys
from collections import Counter

import cv2
import decord
import numpy as np
import pytest

from loki_video.datasets import synthetic_actions as sa

VIDEOS = dict(train=2, val=1)
NUM_FRAMES = 12
SIZE = (64, 64)


def _digests(root):
    digests = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                digests[osp.relpath(path, root)] = hashlib.md5(
                    f.read()).hexdigest()
    return digests


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('demo'))
    assert sa.generate_dataset(root, VIDEOS, NUM_FRAMES, SIZE, seed=0)
    return root


def _read_list(root, split):
    with open(osp.join(root, f'{split}_list.txt')) as f:
        return [line.split() for line in f.read().splitlines()]


def test_generation_is_deterministic_and_seeded(demo, tmp_path):
    again, other = str(tmp_path / 'again'), str(tmp_path / 'other')
    sa.generate_dataset(again, VIDEOS, NUM_FRAMES, SIZE, seed=0)
    sa.generate_dataset(other, VIDEOS, NUM_FRAMES, SIZE, seed=1)
    assert _digests(demo) == _digests(again)
    first = 'videos/train/grow/0000.mp4'
    assert _digests(demo)[first] != _digests(other)[first]


def test_videos_decode_with_decord(demo):
    for rel, _ in _read_list(demo, 'train')[::5]:
        reader = decord.VideoReader(osp.join(demo, rel))
        frames = reader.get_batch(list(range(len(reader)))).asnumpy()
        assert frames.shape == (NUM_FRAMES, *SIZE, 3)
        assert frames.std() > 10


def test_lists_are_balanced_and_match_classes(demo):
    with open(osp.join(demo, 'classes.txt')) as f:
        assert f.read().split() == list(sa.ACTION_CLASSES)
    for split, count in VIDEOS.items():
        entries = _read_list(demo, split)
        labels = Counter(int(label) for _, label in entries)
        assert labels == {i: count for i in range(len(sa.ACTION_CLASSES))}
        for rel, label in entries:
            assert rel.startswith(
                f'videos/{split}/{sa.ACTION_CLASSES[int(label)]}/')
            assert osp.isfile(osp.join(demo, rel))
    assert not osp.exists(osp.join(demo, 'test_list.txt'))


def test_boxes_follow_the_action(demo):
    with open(osp.join(demo, 'train_boxes.json')) as f:
        boxes = json.load(f)
    assert boxes['image_size'] == list(SIZE)
    assert boxes['num_frames'] == NUM_FRAMES
    assert set(boxes['videos']) == {r for r, _ in _read_list(demo, 'train')}
    for rel, record in boxes['videos'].items():
        xyxy = np.array(record['boxes'])
        assert xyxy.shape == (NUM_FRAMES, 4)
        assert (xyxy[:, :2] < xyxy[:, 2:]).all()
        assert xyxy.min() >= 0 and xyxy[:, 2:].max() <= SIZE[0] - 1
        centre = (xyxy[:, :2] + xyxy[:, 2:]) / 2
        area = np.prod(xyxy[:, 2:] - xyxy[:, :2], axis=1)
        action = rel.split('/')[2]
        motion = {
            'move_left': -centre[:, 0], 'move_right': centre[:, 0],
            'move_up': -centre[:, 1], 'move_down': centre[:, 1],
            'grow': area, 'shrink': -area
        }.get(action)
        if motion is not None:
            assert motion[-1] - motion[0] > 0.3 * motion.std() > 0, rel


def test_box_encloses_the_drawn_shape(demo):
    rel = 'videos/val/move_right/0000.mp4'
    with open(osp.join(demo, 'val_boxes.json')) as f:
        x1, y1, x2, y2 = json.load(f)['videos'][rel]['boxes'][0]
    frame = decord.VideoReader(osp.join(demo, rel))[0].asnumpy().astype(int)
    # The shape (saturated colour and a dark front) stands out from the background's typical colour.
    contrast = np.abs(frame - np.median(frame.reshape(-1, 3), axis=0)).sum(axis=2)
    inside = np.zeros(contrast.shape, bool)
    inside[int(y1) + 2:int(y2) - 1, int(x1) + 2:int(x2) - 1] = True
    assert contrast[inside].mean() > 2 * contrast[~inside].mean()


def test_rotation_is_clockwise_on_screen():
    # +x rotated by 90 degrees points down (+y) in image coordinates.
    np.testing.assert_allclose(sa._rotate(np.array([[1.0, 0.0]]), 90),
                               [[0.0, 1.0]], atol=1e-9)


def test_manifest_skips_and_regenerates(tmp_path):
    root = str(tmp_path / 'd')
    assert sa.generate_dataset(root, dict(train=1), 4, SIZE)
    assert not sa.generate_dataset(root, dict(train=1), 4, SIZE)
    assert sa.generate_dataset(root, dict(val=1), 4, SIZE)
    assert not osp.exists(osp.join(root, 'videos', 'train'))
    assert not osp.exists(osp.join(root, 'train_list.txt'))
    with open(osp.join(root, sa.MANIFEST_NAME)) as f:
        assert json.load(f)['videos']['videos_per_class'] == dict(val=1)


def test_refuses_to_overwrite_unknown_outputs(tmp_path):
    os.makedirs(tmp_path / 'videos')
    with pytest.raises(FileExistsError, match='manifest'):
        sa.generate_dataset(str(tmp_path), dict(train=1), 4, SIZE)


def test_frame_dataset_layout(tmp_path):
    root = str(tmp_path)
    assert sa.generate_frame_dataset(root, dict(train=3, val=1), SIZE)
    classes = sorted(os.listdir(osp.join(root, 'frames', 'train')))
    assert classes == sa.frame_classes() and len(classes) == 12
    for name in classes:
        files = sorted(os.listdir(osp.join(root, 'frames', 'train', name)))
        assert files == ['0000.png', '0001.png', '0002.png']
        image = cv2.imread(osp.join(root, 'frames', 'train', name, files[0]))
        assert image.shape == (*SIZE, 3)
    assert len(os.listdir(osp.join(root, 'frames', 'val', classes[0]))) == 1
    assert not sa.generate_frame_dataset(root, dict(train=3, val=1), SIZE)


def test_cli(tmp_path):
    out = str(tmp_path / 'cli')
    command = [
        sys.executable, '-m', 'loki_video.datasets.synthetic_actions',
        '--out', out, '--videos-per-class', 'train=1', '--frames-per-class',
        'train=1', '--num-frames', '4'
    ]
    env = dict(os.environ, PYTHONPATH=osp.dirname(osp.dirname(
        osp.dirname(osp.abspath(__file__)))))
    first = subprocess.run(command, capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    assert 'written' in first.stdout
    second = subprocess.run(command, capture_output=True, text=True, env=env)
    assert second.stdout.count('up to date') == 2
    bad_counts = command[:5] + ['--videos-per-class', 'train']
    bad = subprocess.run(bad_counts, capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and 'SPLIT=COUNT' in bad.stderr
