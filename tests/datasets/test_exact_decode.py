"""Frame-exact decoding on a real file whose indexed reads decord gets wrong (imageio's cockatoo.mp4)."""
import decord
import numpy as np
from mmengine.registry import init_default_scope

from loki_video.datasets import ExactDecordDecode, RobustVideoDataset
from loki_video.datasets.exact_decode import seek_mismatches, sequential_frames

CLIP = np.arange(150, 246, 12)  # 8 frames past the point where decord's seek goes wrong on this file


def reference(path, indices):
    """Frames decoded one after the other from the first, read with next() (no seek at all)."""
    reader, frames = decord.VideoReader(path, num_threads=1), {}
    for index in range(max(indices) + 1):
        frame = reader.next().asnumpy()
        if index in set(indices):
            frames[index] = frame
    return [frames[i] for i in indices]


def test_seek_mismatches_finds_the_wrong_frames_and_passes_a_clean_file(cockatoo, real_video):
    found = seek_mismatches(cockatoo, 8)
    assert found['checked'][0] == 0 and found['checked'][-1] == 279 and len(found['checked']) == 8
    assert 0 not in found['wrong'] and 279 in found['wrong']  # the first frame reads right, the last wrong
    assert seek_mismatches(real_video, 8)['wrong'] == []


def test_exact_decode_equals_sequential_decoding_where_decord_does_not(cockatoo):
    want = reference(cockatoo, CLIP.tolist())
    decode = ExactDecordDecode()
    results = {}
    for exact in (False, True):
        sample = dict(video_reader=decord.VideoReader(cockatoo, num_threads=1), frame_inds=CLIP.copy(),
                      exact_decode=exact)
        results[exact] = decode(sample)['imgs']
    assert all(np.array_equal(got, frame) for got, frame in zip(results[True], want))
    assert not any(np.array_equal(got, frame) for got, frame in zip(results[False], want))  # DecordDecode's read
    assert [f.shape for f in sequential_frames(decord.VideoReader(cockatoo), [5, 3, 5])] == [(720, 1280, 3)] * 3


def test_dataset_decodes_the_listed_videos_exactly(cockatoo, real_video, tmp_path):
    init_default_scope('mmaction')
    (tmp_path / 'list.txt').write_text(f'{cockatoo} 0\n{real_video} 1\n')
    (tmp_path / 'list.exact.txt').write_text(f'{cockatoo} 0\n')
    pipeline = [dict(type='DecordInit'), dict(type='SampleFrames', clip_len=1, num_clips=1, test_mode=True),
                dict(type='DecordDecode')]
    dataset = RobustVideoDataset(str(tmp_path / 'list.txt'), pipeline, exact_decode_list=str(tmp_path / 'list.exact.txt'),
                                 test_mode=True)
    assert [dataset.get_data_info(i)['exact_decode'] for i in range(2)] == [True, False]
    assert type(dataset.pipeline.transforms[2]) is ExactDecordDecode
    plain = RobustVideoDataset(str(tmp_path / 'list.txt'), pipeline, test_mode=True)
    assert type(plain.pipeline.transforms[2]).__name__ == 'DecordDecode'
    assert not plain.get_data_info(0)['exact_decode']
