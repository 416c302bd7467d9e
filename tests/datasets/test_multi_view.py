"""Test views: parsing CLIPSxCROPS and rewriting a video test pipeline."""
import pytest
from mmengine.config import Config

from loki_video.datasets.multi_view import count_views, parse_views, set_views


def video_test_cfg(crop='CenterCrop'):
    pipeline = [dict(type='DecordInit'), dict(type='SampleFrames', clip_len=8, frame_interval=16, num_clips=1),
                dict(type='DecordDecode'), dict(type='Resize', scale=(-1, 224)),
                dict(type=crop, crop_size=224), dict(type='FormatShape', input_format='NCTHW')]
    return Config(dict(test_dataloader=dict(dataset=dict(pipeline=pipeline))))


@pytest.mark.parametrize('text, views', [('1x1', (1, 1)), ('3x1', (3, 1)), ('1x3', (1, 3)), ('3x3', (3, 3)),
                                         ('4x10', (4, 10))])
def test_parse_views(text, views):
    assert parse_views(text) == views


@pytest.mark.parametrize('text', ['3', '3x2', '0x1', 'axb'])
def test_parse_views_rejects_what_has_no_crop_transform(text):
    with pytest.raises(ValueError, match='views'):
        parse_views(text)


@pytest.mark.parametrize('clips, crops, crop_type', [(3, 3, 'ThreeCrop'), (2, 1, 'CenterCrop'),
                                                     (1, 10, 'TenCrop')])
def test_set_views_rewrites_sampler_and_crop_keeping_the_crop_size(clips, crops, crop_type):
    cfg = video_test_cfg(crop='ThreeCrop' if crop_type == 'CenterCrop' else 'CenterCrop')
    set_views(cfg, clips, crops)
    pipeline = cfg.test_dataloader.dataset.pipeline
    assert pipeline[1] == dict(type='SampleFrames', clip_len=8, frame_interval=16, num_clips=clips, test_mode=True)
    assert pipeline[4] == dict(type=crop_type, crop_size=224)
    assert count_views(pipeline) == (clips, crops)


def test_image_pipeline_has_no_views():
    cfg = Config(dict(test_dataloader=dict(dataset=dict(pipeline=[dict(type='LoadImageFromFile')]))))
    assert count_views(cfg.test_dataloader.dataset.pipeline) is None
    with pytest.raises(ValueError, match='video configs only'):
        set_views(cfg, 3, 3)
