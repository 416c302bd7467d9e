"""Frames decoded per clip: a keyframe before each sampled frame on prepared videos, a whole GOP on others;
the multi-view test pipeline decodes each video once for all its views; the clips are those of mmaction2."""
import copy
import random

import numpy as np
import pytest
import torch
from mmaction.registry import TRANSFORMS
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from loki_video.analysis.frames_decoded import frames_decoded, keyframe_layout
from loki_video.analysis.pipeline_throughput import split_pipeline, stock_pipeline
from loki_video.config import load_config
from loki_video.datasets.video_reader import TorchCodecReader
from loki_video.preparation import EncodingSettings, prepare_video


@pytest.fixture(scope='module')
def prepared(real_video, tmp_path_factory):
    """carphone (120 frames) prepared at short side 64: every frame a keyframe, and with a GOP of 16."""
    folder = tmp_path_factory.mktemp('prepared')
    paths = {gop: str(folder / f'gop{gop}.mp4') for gop in (1, 16)}
    for gop, path in paths.items():
        prepare_video(real_video, path, EncodingSettings(short_side=64, gop=gop))
    return paths


def test_the_count_follows_the_keyframes():
    assert frames_decoded(range(100), [3, 50, 50, 97]) == 3           # every frame a keyframe: each frame alone
    assert frames_decoded([0, 16, 32], [5, 9, 20, 40]) == 6 + 4 + 5 + 9   # seek, decode on, seek, seek
    assert frames_decoded([0], [7, 119]) == 120                       # one GOP: everything up to the last frame
    assert frames_decoded([0, 16], [20, 18]) == 5                     # read in increasing order


def test_prepared_videos_decode_one_frame_per_sampled_frame(prepared, real_video):
    assert keyframe_layout(prepared[1]) == (120, list(range(120)))
    assert keyframe_layout(prepared[16]) == (120, list(range(0, 120, 16)))
    indices = np.arange(8) * 4 + 70
    assert frames_decoded(keyframe_layout(prepared[1])[1], indices) == 8
    # keyframes 64, 80 and 96: seek, decode on twice, seek, on three times, seek
    assert frames_decoded(keyframe_layout(prepared[16])[1], indices) == 7 + 4 + 4 + 3 + 4 + 4 + 4 + 3
    assert frames_decoded(keyframe_layout(real_video)[1], indices) > 8


def test_the_multi_view_test_pipeline_opens_and_reads_each_video_once(prepared, monkeypatch):
    init_default_scope('mmaction')
    cfg = load_config('configs/loki_k400_8x1x1.py')
    pipeline = split_pipeline(cfg, 'test', views='3x1')
    for step in pipeline:
        if 'clip_len' in step:
            step.update(clip_len=8, frame_interval=4)   # 3 clips of a 32-frame span over 120 frames
    reads, opened = [], []
    monkeypatch.setattr(TorchCodecReader, 'frames_at', lambda self, indices, real=TorchCodecReader.frames_at:
                        (reads.append(list(indices)), real(self, indices))[1])
    monkeypatch.setattr(TorchCodecReader, '__init__', lambda self, *args, real=TorchCodecReader.__init__:
                        (opened.append(args[0]), real(self, *args))[1])
    packed = Compose(pipeline)(dict(filename=prepared[1], label=0, start_index=0, modality='RGB'))
    assert packed['inputs'].shape[:3] == (3, 3, 8) and packed['inputs'].dtype == torch.uint8   # until preprocessing
    assert len(opened) == 1 and len(reads) == 1 and len(reads[0]) == 24
    assert frames_decoded(keyframe_layout(prepared[1])[1], reads[0]) == len(set(reads[0]))


def test_the_training_clip_is_mmaction2s_stock_clip(prepared):
    """Same seed, same video: the project's pipeline (TorchCodec, ClipResize) and mmaction2's stock one
    (decord, Resize) sample the same indices, draw the same crop and give the same pixels."""
    init_default_scope('mmaction')
    cfg = load_config('configs/loki_k400_8x1x1.py')
    project = split_pipeline(cfg, 'train')
    project[1].update(clip_len=8, frame_interval=4)
    clips = {}
    for name, steps in (('project', project), ('mmaction2', stock_pipeline(project))):
        transforms = [TRANSFORMS.build(copy.deepcopy(step)) for step in steps[:-1]]   # all but PackActionInputs
        random.seed(3)   # RandomResizedCrop draws its offsets from Python's random, the rest from numpy's
        np.random.seed(3)
        results = dict(filename=prepared[1], label=0, start_index=0, modality='RGB')
        for transform in transforms:
            results = transform(results)
        clips[name] = results
    ours, stock = clips['project'], clips['mmaction2']
    assert np.array_equal(ours['frame_inds'], stock['frame_inds'])
    assert np.array_equal(ours['crop_bbox'], stock['crop_bbox']) and ours['flip'] == stock['flip']
    assert ours['imgs'].dtype == np.uint8 and np.array_equal(ours['imgs'], stock['imgs'])
