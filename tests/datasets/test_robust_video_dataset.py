import glob
import os
import os.path as osp
import signal

import cv2
import numpy as np
import pytest
from mmaction.registry import DATASETS, MODELS
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from torch import nn

from loki_video.datasets.robust_video_dataset import INVALID_KEY, SKIPPED_KEY, RobustVideoDataset
from loki_video.engine.hooks import BadSampleReportHook  # noqa: F401  (registers it for the Runner below)

BAD = {
    'truncated.mp4': 'unreadable',
    'empty.mp4': 'zero-byte file',
    'missing.mp4': 'missing file',
}


def _pipeline(test_mode):
    return [
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=4, frame_interval=2, num_clips=1,
             test_mode=test_mode),
        dict(type='DecordDecode'),
        dict(type='Resize', scale=(32, 32), keep_ratio=False),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs')
    ]


def _dataset_cfg(root, list_file, test_mode, **kwargs):
    return dict(type='RobustVideoDataset', ann_file=list_file,
                data_prefix=dict(video=root), pipeline=_pipeline(test_mode),
                test_mode=test_mode, **kwargs)


def test_train_mode_replaces_bad_videos(mixed_videos, captured_log):
    root, list_file, _ = mixed_videos
    dataset = DATASETS.build(_dataset_cfg(root, list_file, False))
    assert isinstance(dataset, RobustVideoDataset)
    shapes = set()
    for idx, expected_label in enumerate([0, 4, 4, 4, 4]):
        data = dataset[idx]
        shapes.add(tuple(data['inputs'].shape))
        assert data['data_samples'].gt_labels.item.item() == expected_label
    assert shapes == {(1, 3, 4, 32, 32)}
    skipped = dataset[1]['data_samples'].get(SKIPPED_KEY)
    assert [osp.basename(s['filename']) for s in skipped] == list(BAD)
    for record in skipped:
        assert record['reason'].startswith(
            BAD[osp.basename(record['filename'])])
    for name, reason in BAD.items():
        assert any(
            osp.join(root, name) in m and reason in m for m in captured_log)
    assert dataset[0]['data_samples'].get(SKIPPED_KEY) is None


def test_train_mode_too_short_videos(mixed_videos, tmp_path, captured_log):
    root, list_file, _ = mixed_videos
    writer = cv2.VideoWriter(osp.join(root, 'short.mp4'),
                             cv2.VideoWriter_fourcc(*'mp4v'), 8, (32, 32))
    for _ in range(10):
        writer.write(np.full((32, 32, 3), 128, np.uint8))
    writer.release()
    short_list = tmp_path / 'short.txt'
    short_list.write_text('short.mp4 0\ngood.mp4 1\n')
    dataset = DATASETS.build(
        _dataset_cfg(root, str(short_list), False, min_frames=16))
    data = dataset[0]
    assert data['data_samples'].gt_labels.item.item() == 1
    skipped, = data['data_samples'].get(SKIPPED_KEY)
    assert skipped['reason'] == 'too short: 10 frames < min_frames 16'

    too_long = DATASETS.build(
        _dataset_cfg(root, list_file, False, min_frames=10_000))
    with pytest.raises(RuntimeError, match='check_videos.py'):
        too_long[0]
    assert any('too short' in m for m in captured_log)


def test_test_mode_flags_bad_videos(mixed_videos, captured_log):
    root, list_file, _ = mixed_videos
    dataset = DATASETS.build(_dataset_cfg(root, list_file, True))
    samples = [dataset[i] for i in range(len(dataset))]
    for label, data in enumerate(samples):
        assert data['inputs'].shape == (1, 3, 4, 32, 32)
        assert data['data_samples'].gt_labels.item.item() == label
    flags = [d['data_samples'].get(INVALID_KEY) for d in samples]
    assert flags[0] is None and flags[4] is None
    assert [osp.basename(f['filename']) for f in flags[1:4]] == list(BAD)
    for data in samples[1:4]:
        assert data['inputs'].abs().sum() == 0
    assert samples[0]['inputs'].abs().sum() > 0
    assert sum('flagged invalid' in m for m in captured_log) == 3
    dataset[1]   # read again, say, in the next epoch: warned once per file and process
    assert sum('flagged invalid' in m for m in captured_log) == 3


def test_missing_paths_point_to_readme(mixed_videos, tmp_path):
    root, list_file, _ = mixed_videos
    init_default_scope('mmaction')
    with pytest.raises(FileNotFoundError, match=r'(?s)ann_file: file .*nope.txt does not exist.*data/README.md'):
        DATASETS.build(_dataset_cfg(root, str(tmp_path / 'nope.txt'), False))
    with pytest.raises(FileNotFoundError, match=r'(?s)data_prefix.video: folder .*no_root does not exist'):
        DATASETS.build(_dataset_cfg(str(tmp_path / 'no_root'), list_file,
                                    False))
    bad_list = tmp_path / 'bad.txt'
    bad_list.write_text('a video.mp4 3\n')
    with pytest.raises(ValueError, match='bad.txt.*delimiter'):
        DATASETS.build(_dataset_cfg(root, str(bad_list), False))


@MODELS.register_module(force=True)
class _TinyVideoBackbone(nn.Module):
    """(N, 3, T, H, W) -> (N, 8, T, H, W) features."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(3, 8, 1)

    def forward(self, x):
        return self.conv(x)


def test_runner_reports_bad_samples_with_workers(mixed_videos, tmp_path):
    root, list_file, _ = mixed_videos
    loader = dict(batch_size=2, num_workers=2, persistent_workers=False,
                  sampler=dict(type='DefaultSampler', shuffle=False))
    runner = Runner(
        model=dict(
            type='Recognizer3D',
            backbone=dict(type='_TinyVideoBackbone'),
            cls_head=dict(type='I3DHead', num_classes=5, in_channels=8,
                          average_clips='prob'),
            data_preprocessor=dict(type='ActionDataPreprocessor',
                                   format_shape='NCTHW')),
        work_dir=str(tmp_path / 'work'),
        train_dataloader=dict(
            dataset=_dataset_cfg(root, list_file, False), **loader),
        val_dataloader=dict(
            dataset=_dataset_cfg(root, list_file, True), **loader),
        train_cfg=dict(by_epoch=True, max_epochs=1, val_interval=1),
        val_cfg=dict(),
        val_evaluator=dict(type='ValidAccMetric'),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        custom_hooks=[dict(type='BadSampleReportHook')],
        default_hooks=dict(checkpoint=None),
        default_scope='mmaction')
    runner.train()
    log_file, = glob.glob(str(tmp_path / 'work' / '*' / '*.log'))
    with open(log_file) as f:
        log = f.read()
    assert 'Train epoch 1: 3 bad videos skipped' in log
    assert 'Validation: 3 bad videos flagged invalid' in log
    assert 'acc/evaluated: 2' in log and 'acc/excluded: 3' in log


class TwoArgumentError(Exception):
    def __init__(self, path, detail):
        super().__init__(f'{path}: {detail}')


class FaultyPipeline:
    """Faults by file name, counting each file's attempts in ``attempts/`` (the guard's children are
    forked, so no counter in memory survives a killed one): ``slow`` hangs once, ``oom`` is SIGKILLed
    once, ``hang`` always hangs, ``odd`` raises an exception that does not unpickle."""

    def __init__(self, attempts):
        self.attempts = attempts

    def __call__(self, data):
        import time
        name = osp.basename(data['filename'])
        with open(osp.join(self.attempts, name), 'a+') as counter:
            counter.seek(0)
            attempt = len(counter.read())
            counter.write('.')
        if ('slow' in name and attempt == 0) or 'hang' in name:
            time.sleep(600)
        if 'oom' in name and attempt == 0:
            os.kill(os.getpid(), signal.SIGKILL)
        if 'odd' in name:
            raise TwoArgumentError(name, 'bad header')
        return dict(name=name, attempt=attempt)


@pytest.fixture
def faulty_dataset(tmp_path):
    names = ['slow.mp4', 'oom.mp4', 'hang.mp4', 'odd.mp4', 'good.mp4']
    for name in names:
        (tmp_path / name).write_bytes(b'video')
    (tmp_path / 'attempts').mkdir()
    (tmp_path / 'list.txt').write_text(''.join(f'{name} 0\n' for name in names))

    def build(test_mode=False):
        dataset = RobustVideoDataset(str(tmp_path / 'list.txt'), _pipeline(test_mode), test_mode=test_mode,
                                     data_prefix=dict(video=str(tmp_path)), decode_timeout=1)
        dataset.pipeline = dataset._own_pipeline = FaultyPipeline(str(tmp_path / 'attempts'))
        return dataset
    return build


def test_a_timeout_or_a_kill_from_outside_is_tried_once_more_and_only_repeated_ones_are_remembered(
        faulty_dataset, captured_log):
    dataset = faulty_dataset()
    assert dataset[0] == dict(name='slow.mp4', attempt=1)
    assert dataset[1] == dict(name='oom.mp4', attempt=1)
    assert dataset.known_bad == {}
    assert any('slow.mp4: decoding took longer than 1 s (the decode_timeout); trying it once more' in m
               for m in captured_log)
    data = dataset[2]  # hangs twice: skipped and remembered
    assert data['name'] == 'good.mp4'
    assert list(dataset.known_bad) == [osp.join(osp.dirname(dataset.ann_file), 'hang.mp4')]
    assert dataset.known_bad[osp.join(osp.dirname(dataset.ann_file), 'hang.mp4')].endswith(', twice')


def test_an_error_that_does_not_unpickle_skips_its_video_instead_of_stopping_the_run(faulty_dataset):
    dataset = faulty_dataset()
    data = dataset[3]
    assert data['name'] == 'good.mp4'
    [record] = data[SKIPPED_KEY]
    assert osp.basename(record['filename']) == 'odd.mp4' and 'TwoArgumentError: odd.mp4: bad header' in record['reason']
    assert 'remember' not in record


def test_without_fork_the_guard_is_off_with_one_line(faulty_dataset, captured_log, monkeypatch):
    from loki_video.datasets import pipeline_guard
    monkeypatch.setattr(pipeline_guard, 'AVAILABLE', False)
    dataset = faulty_dataset()
    assert dataset.guard is None
    assert sum('decode_timeout is ignored here (no os.fork on this platform)' in m for m in captured_log) == 1
    assert dataset[4] == dict(name='good.mp4', attempt=0)
