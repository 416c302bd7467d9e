"""Checks before building: clip length, labels, pretrained file; each names the key and what to change."""
import sys
from pathlib import Path

import pytest

from loki_video.config import load_config
from loki_video.engine.preflight import check_before_building

from tiny_runner import TINY_CONFIG
from tool_loading import load_tool

ROOT = Path(__file__).resolve().parents[2]
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@pytest.fixture
def data_root(tmp_path):
    """Annotation lists of the tiny config (8 classes); the videos are not read by the checks."""
    for split in ('train', 'val', 'test'):
        (tmp_path / f'{split}_list.txt').write_text('a.mp4 0\nb.mp4 7\n')
    return tmp_path


def tiny(data_root, **options):
    return load_config(str(TINY_CONFIG), {'train_dataloader.dataset.data_root': str(data_root),
                                          'val_dataloader.dataset.data_root': str(data_root),
                                          'test_dataloader.dataset.data_root': str(data_root), **options})


def test_a_consistent_config_passes(data_root, pretrained_file):
    check_before_building(tiny(data_root, **{'model.backbone.pretrained': pretrained_file}), LOADERS)


def test_clip_length_must_match_the_backbone_frames(data_root):
    with pytest.raises(ValueError, match=r'train_dataloader.dataset.pipeline\[1\] \(SampleFrames\): clip_len=4 '
                                         r'but model.backbone.num_frames=8'):
        check_before_building(tiny(data_root, **{'model.backbone.num_frames': 8}), LOADERS)


def test_labels_must_fit_num_classes(data_root):
    (data_root / 'val_list.txt').write_text('a.mp4 0\nb.mp4 3\nc.mp4 8\n')
    with pytest.raises(ValueError, match=r'val_dataloader.dataset.ann_file: .*val_list.txt line 3 has label 8, '
                                         r'but model.cls_head.num_classes=8 allows 0..7'):
        check_before_building(tiny(data_root), LOADERS)


def test_pretrained_must_be_a_checkpoint(data_root, tmp_path):
    notes = tmp_path / 'notes.pth'
    notes.write_text('not weights')
    with pytest.raises(ValueError, match='notes.pth is not a checkpoint'):
        check_before_building(tiny(data_root, **{'model.backbone.pretrained': str(notes)}), LOADERS)


def test_train_tool_fails_in_seconds_before_building(data_root, monkeypatch):
    tool = load_tool('tools/train.py')
    monkeypatch.setattr(sys, 'argv', ['train.py', str(TINY_CONFIG), '--cfg-options', 'model.backbone.num_frames=8',
                                      *(f'{loader}.dataset.data_root={data_root}' for loader in LOADERS)])
    monkeypatch.setattr(tool, 'build_runner', lambda cfg: pytest.fail('the runner was built before the check'))
    with pytest.raises(SystemExit, match='clip_len=4 but model.backbone.num_frames=8'):
        tool.main()
