"""docs/custom_dataset.md end to end on real videos: class folders -> build_video_list.py -> train
-> test -> demo -> attention, with configs/custom/loki_custom_8x1x1.py as a user runs it (from a
folder holding data/custom and the demo's frame-pretrained ViT at the path the config names)."""
import json
import logging
import os
import os.path as osp
import shutil
import sys

import numpy as np
import pytest
from mmengine.runner import find_latest_checkpoint

from loki_video.datasets.sample_clips import SOURCES, write_sample_clips

from tool_loading import load_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs/custom/loki_custom_8x1x1.py')
# Chance is 1/3 on the three balanced classes; the frozen random backbone stays there.
MIN_TOP1 = 0.75


def run(tool, argv, monkeypatch):
    """A tool's main() with ``argv`` (tools/train.py and tools/test.py read sys.argv)."""
    monkeypatch.setattr(sys, 'argv', ['tool', *argv])
    tool.main()


@pytest.fixture(scope='module')
def custom_root(tmp_path_factory):
    """A user's folder: data/custom with the sample clips in class folders."""
    root = tmp_path_factory.mktemp('custom_user')
    write_sample_clips(str(root / 'data' / 'custom'))
    return root


def test_own_videos_path_learns_well_above_chance(custom_root, frame_pretrained_vit, monkeypatch,
                                                  tmp_path, capsys):
    monkeypatch.chdir(custom_root)
    build = load_tool('tools/data/build_video_list.py')
    build.main(['folder', 'data/custom/videos/train', '--out', 'data/custom/train_list.txt',
                '--label-names', 'data/custom/classes.txt'])
    build.main(['folder', 'data/custom/videos/val', '--out', 'data/custom/val_list.txt',
                '--classes', 'data/custom/classes.txt', '--label-names', 'data/custom/classes.txt'])
    assert open('data/custom/classes.txt').read().split() == sorted(SOURCES)
    os.makedirs('work_dirs/demo/pretrain', exist_ok=True)
    shutil.copy(frame_pretrained_vit, 'work_dirs/demo/pretrain/epoch_10.pth')  # where make demo-pretrain puts it

    run(load_tool('tools/train.py'), [CONFIG, '--work-dir', 'work_dirs/custom'], monkeypatch)
    checkpoint = find_latest_checkpoint('work_dirs/custom')
    run(load_tool('tools/test.py'), [CONFIG, checkpoint, '--work-dir', 'work_dirs/custom'],
        monkeypatch)
    report = json.load(open('work_dirs/custom/test_1x1.json'))
    assert report['evaluated'] == 12 and report['excluded'] == 0
    assert report['top1'] >= MIN_TOP1, report

    videos = sorted(f'data/custom/videos/val/{name}/' + sorted(os.listdir(f'data/custom/videos/val/{name}'))[0]
                    for name in SOURCES)
    capsys.readouterr()
    load_tool('tools/demo.py').main([CONFIG, checkpoint, *videos])
    printed = capsys.readouterr().out
    assert all(f'{video}\n  1. ' in printed for video in videos), printed
    load_tool('tools/visualize_attention.py').main(
        [CONFIG, checkpoint, videos[0], '--out', str(tmp_path / 'attention')])
    maps = np.load(tmp_path / 'attention' / (osp.splitext(osp.basename(videos[0]))[0] + '_attention.npy'))
    assert maps.shape == (8, 4, 4) and (tmp_path / 'attention' / 'bikes_0175_attention.png').is_file()


def test_missing_or_random_backbone_is_named(tmp_path, monkeypatch):
    from mmengine.config import Config
    from mmengine.logging import MMLogger

    from loki_video.engine.preflight import check_pretrained, warn_random_frozen_backbone
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match='model.backbone.pretrained: work_dirs/demo/pretrain/epoch_10.pth '
                       'does not exist; the comment at the top of the config says where its file comes from'):
        check_pretrained(Config.fromfile(CONFIG))
    messages, handler = [], logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        cfg = Config.fromfile(CONFIG)
        warn_random_frozen_backbone(cfg)
        assert messages == []
        cfg.model.backbone.pretrained = None
        warn_random_frozen_backbone(cfg)
    finally:
        logger.removeHandler(handler)
    assert 'its weights stay random, so this run only tests the plumbing' in messages[0]
