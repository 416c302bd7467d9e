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
import torch
from mmengine.runner import find_latest_checkpoint

from loki_video.datasets.sample_clips import SOURCES, write_sample_clips

from tool_loading import load_tool

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)

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
    run(load_tool('tools/export_checkpoint.py'), [CONFIG, checkpoint, '--folder', 'models/custom',
                                                  '--metrics', 'work_dirs/custom/test_1x1.json'], monkeypatch)
    capsys.readouterr()
    load_tool('tools/demo.py').main(['models/custom', *videos])

    def predictions(output):   # the printed classes and scores, without the log's lines
        return [line for line in output.splitlines() if ' - mmengine - ' not in line]
    assert predictions(capsys.readouterr().out) == predictions(printed)   # the same from the folder alone
    load_tool('tools/visualize_attention.py').main(
        [CONFIG, checkpoint, videos[0], '--out', str(tmp_path / 'attention')])
    maps = np.load(tmp_path / 'attention' / (osp.splitext(osp.basename(videos[0]))[0] + '_attention.npy'))
    assert maps.shape == (8, 4, 4) and (tmp_path / 'attention' / 'bikes_0175_attention.png').is_file()
    check_long_video_switches_class_at_the_cut(checkpoint, tmp_path)


def write_clip(frames, path, rate):
    """``frames (T, 3, H, W)`` uint8 as an H.264 MP4 at ``rate`` frames per second."""
    import av
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('libx264', rate=rate)
        stream.height, stream.width = frames.shape[2:]
        stream.pix_fmt = 'yuv420p'
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame.permute(1, 2, 0).numpy(), format='rgb24')))
        container.mux(stream.encode())
    return str(path)


def check_long_video_switches_class_at_the_cut(checkpoint, tmp_path):
    """tools/long_video_demo.py on two validation clips of different classes played one after the other,
    both at one size (each one the model gets right alone at that size): the first window is the first
    class, the last the second."""
    from torchcodec.decoders import VideoDecoder

    from loki_video.apis import init_model, predict
    model = init_model(CONFIG, checkpoint)
    right = {}
    for index, name in enumerate(sorted(SOURCES)):
        folder = f'data/custom/videos/val/{name}'
        for clip in sorted(os.listdir(folder)):
            decoded = VideoDecoder(osp.join(folder, clip))[:].data.float()             # (16, 3, H, W)
            frames = torch.nn.functional.interpolate(decoded, size=(144, 176), mode='area').round().byte()
            candidate = write_clip(frames, tmp_path / f'{name}_{clip}', 25)
            if predict(model, candidate, topk=1)[0][0] == index:
                right[name] = frames
                break
    first, second = sorted(right)[:2]
    joined = write_clip(torch.cat([right[first], right[second]]), tmp_path / 'joined.mp4', 25)
    out = tmp_path / 'long'
    clip_seconds = len(right[first]) / 25
    load_tool('tools/long_video_demo.py').main([CONFIG, checkpoint, joined, '--out', str(out), '--window',
                                                str(clip_seconds), '--stride', str(clip_seconds / 4),
                                                '--labels', 'data/custom/classes.txt'])
    windows = json.load(open(out / 'predictions.json'))['windows']
    assert windows[0]['predictions'][0]['name'] == first and windows[-1]['predictions'][0]['name'] == second
    assert (out / 'timeline.png').is_file()
    assert VideoDecoder(str(out / 'labelled.mp4')).metadata.num_frames == 2 * len(right[first])


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
