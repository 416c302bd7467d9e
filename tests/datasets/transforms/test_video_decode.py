"""VideoInit and VideoDecode in a pipeline: indexed reads, and reading in order for the videos of a
dataset's exact_decode_list (imageio's cockatoo.mp4, whose indexed reads go wrong)."""
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from loki_video.datasets import RobustVideoDataset, VideoDecode, VideoInit, video_reader

from decoding_reference import BACKENDS, reference, same_frames

CLIP = np.arange(150, 246, 12)  # 8 frames past the point where the seeks go wrong on this file


def read(path, backend, indices, exact=False):
    opened = VideoInit(backend=backend)(dict(filename=path))
    return VideoDecode()(dict(opened, frame_inds=np.array(indices)[None], exact_decode=exact))


@pytest.mark.parametrize('backend', BACKENDS)
def test_decode_adds_the_frames_and_their_shape_and_closes_the_reader(real_video, backend):
    indices = [7, 7, 3, 119, 0, 60]
    clip = read(real_video, backend, indices)
    assert clip['total_frames'] == 120 and clip['img_shape'] == clip['original_shape'] == (144, 176)
    assert same_frames(clip['imgs'], reference(real_video, indices))
    assert clip['video_reader'] is None and clip['frame_inds'].shape == (6, )


@pytest.mark.parametrize('backend', BACKENDS)
def test_exact_decode_reads_in_order_where_the_indexed_read_goes_wrong(cockatoo, backend):
    want = reference(cockatoo, CLIP.tolist())
    indexed, exact = (read(cockatoo, backend, CLIP, exact)['imgs'] for exact in (False, True))
    assert same_frames(exact, want) and not same_frames(indexed, want)


def test_an_unknown_backend_is_refused_by_the_transform(monkeypatch):
    with pytest.raises(ValueError, match="video backend 'pyav' is not one of"):
        VideoInit(backend='pyav')
    monkeypatch.setattr(video_reader, 'torchcodec_error', lambda: 'torchcodec is not installed (test)')
    assert VideoInit().backend == 'decord'


def test_dataset_reads_the_listed_videos_in_order(cockatoo, real_video, tmp_path):
    init_default_scope('mmaction')
    (tmp_path / 'list.txt').write_text(f'{cockatoo} 0\n{real_video} 1\n')
    (tmp_path / 'list.exact.txt').write_text(f'{cockatoo} 0\n')
    pipeline = [dict(type='DecordInit', num_threads=2), dict(type='SampleFrames', clip_len=1, num_clips=1,
                                                            test_mode=True), dict(type='DecordDecode')]
    dataset = RobustVideoDataset(str(tmp_path / 'list.txt'), pipeline, test_mode=True,
                                 exact_decode_list=str(tmp_path / 'list.exact.txt'))
    assert [dataset.get_data_info(i)['exact_decode'] for i in range(2)] == [True, False]
    init, _, decode = dataset.pipeline.transforms  # mmaction2's DecordInit and DecordDecode replaced
    assert (type(init), init.backend, init.num_threads, type(decode)) == (VideoInit, 'decord', 2, VideoDecode)
    assert len(dataset[0]['imgs']) == 1
    plain = RobustVideoDataset(str(tmp_path / 'list.txt'), pipeline, test_mode=True)
    assert type(plain.pipeline.transforms[2]).__name__ == 'DecordDecode'
    assert not plain.get_data_info(0)['exact_decode']
    with pytest.raises(ValueError, match='exact_decode_list needs VideoInit instead of DecordInit'):
        RobustVideoDataset(str(tmp_path / 'list.txt'), [dict(type='DecordInit', io_backend='petrel')],
                           exact_decode_list=str(tmp_path / 'list.exact.txt'))
