"""Video decoding: torchcodec and decord through VideoInit/VideoDecode, and frame-exact decoding on a
real file whose indexed reads both get wrong (imageio's cockatoo.mp4)."""
import decord
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from loki_video.datasets import RobustVideoDataset, VideoDecode, VideoInit, video_decode
from loki_video.datasets.exact_decode import seek_mismatches, sequential_frames

CLIP = np.arange(150, 246, 12)  # 8 frames past the point where the seeks go wrong on this file
BACKENDS = ('decord', pytest.param('torchcodec', marks=pytest.mark.skipif(
    bool(video_decode.torchcodec_error()), reason=video_decode.torchcodec_error() or 'torchcodec loads')))


def reference(path, indices):
    """Frames decoded one after the other from the first, read with next() (no seek at all)."""
    reader, frames = decord.VideoReader(path, num_threads=1), {}
    for index in range(max(indices) + 1):
        frame = reader.next().asnumpy()
        if index in set(indices):
            frames[index] = frame
    return [frames[i] for i in indices]


def read(path, backend, indices, exact=False):
    opened = VideoInit(backend=backend)(dict(filename=path))
    return VideoDecode()(dict(opened, frame_inds=np.array(indices), exact_decode=exact))


@pytest.mark.parametrize('backend', BACKENDS)
def test_backends_read_the_frames_of_sequential_decoding_on_a_clean_file(real_video, backend):
    indices = [7, 7, 3, 119, 0, 60]  # repeats and any order, as SampleFrames may give
    clip = read(real_video, backend, indices)
    assert clip['total_frames'] == 120 and clip['img_shape'] == (144, 176)
    assert all(np.array_equal(got, want) for got, want in zip(clip['imgs'], reference(real_video, indices)))
    assert clip['imgs'][0].dtype == np.uint8 and clip['video_reader'] is None


@pytest.mark.parametrize('backend', BACKENDS)
def test_exact_decode_equals_sequential_decoding_where_the_indexed_read_does_not(cockatoo, backend):
    want = reference(cockatoo, CLIP.tolist())
    indexed, exact = (read(cockatoo, backend, CLIP, exact)['imgs'] for exact in (False, True))
    assert all(np.array_equal(got, frame) for got, frame in zip(exact, want))
    assert not all(np.array_equal(got, frame) for got, frame in zip(indexed, want))


def test_sequential_readers_keep_the_order_and_repeats_of_the_indices(cockatoo):
    assert [f.shape for f in sequential_frames(decord.VideoReader(cockatoo), [5, 3, 5])] == [(720, 1280, 3)] * 3
    if not video_decode.torchcodec_error():
        from torchcodec.decoders import VideoDecoder
        decoder = VideoDecoder(cockatoo, seek_mode='exact', dimension_order='NHWC')
        # 70 spans three chunks, the middle one without a wanted frame
        frames = video_decode.torchcodec_sequential_frames(decoder, [70, 3, 70])
        assert all(np.array_equal(got, want) for got, want in zip(frames, reference(cockatoo, [70, 3, 70])))


@pytest.mark.parametrize('backend', BACKENDS)
def test_seek_mismatches_finds_the_wrong_frames_and_passes_a_clean_file(cockatoo, real_video, backend):
    found = seek_mismatches(cockatoo, 8, backend)
    assert found['checked'][0] == 0 and found['checked'][-1] == 279 and len(found['checked']) == 8
    assert 0 not in found['wrong'] and found['wrong']  # the first frame reads right, later ones wrong
    assert seek_mismatches(real_video, 8, backend)['wrong'] == []


def test_auto_prefers_torchcodec_and_falls_back_to_decord(monkeypatch):
    monkeypatch.setattr(video_decode, 'torchcodec_error', lambda: 'torchcodec is not installed (test)')
    assert VideoInit().backend == 'decord'
    with pytest.raises(ValueError, match="backend='torchcodec' but torchcodec is not installed .*backend='decord'"):
        VideoInit(backend='torchcodec')
    with pytest.raises(ValueError, match="backend='pyav' is not one of"):
        VideoInit(backend='pyav')
    monkeypatch.setattr(video_decode, 'torchcodec_error', lambda: '')
    assert VideoInit().backend == 'torchcodec'


def test_dataset_decodes_the_listed_videos_exactly(cockatoo, real_video, tmp_path):
    init_default_scope('mmaction')
    (tmp_path / 'list.txt').write_text(f'{cockatoo} 0\n{real_video} 1\n')
    (tmp_path / 'list.exact.txt').write_text(f'{cockatoo} 0\n')
    pipeline = [dict(type='DecordInit'), dict(type='SampleFrames', clip_len=1, num_clips=1, test_mode=True),
                dict(type='DecordDecode')]
    dataset = RobustVideoDataset(str(tmp_path / 'list.txt'), pipeline, test_mode=True,
                                 exact_decode_list=str(tmp_path / 'list.exact.txt'))
    assert [dataset.get_data_info(i)['exact_decode'] for i in range(2)] == [True, False]
    assert type(dataset.pipeline.transforms[2]) is VideoDecode  # mmaction2's DecordDecode replaced
    plain = RobustVideoDataset(str(tmp_path / 'list.txt'), pipeline, test_mode=True)
    assert type(plain.pipeline.transforms[2]).__name__ == 'DecordDecode'
    assert not plain.get_data_info(0)['exact_decode']
