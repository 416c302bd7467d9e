"""Reading video files: TorchCodec and decord behind one interface, indexed reads against reading in
order, on a clean file and on one whose indexed reads both backends get wrong (imageio's cockatoo.mp4)."""
import decord
import numpy as np
import pytest

from loki_video.datasets import video_reader
from loki_video.datasets.video_reader import open_video, seek_mismatches

from decoding_reference import BACKENDS, reference, same_frames


@pytest.mark.parametrize('backend', BACKENDS)
def test_both_reads_give_the_frames_of_decoding_in_order_on_a_clean_file(real_video, backend):
    reader = open_video(real_video, backend)
    assert (reader.backend, reader.num_frames) == (backend, 120) and reader.fps > 0
    indices = [7, 7, 3, 119, 0, 60]  # repeats and any order, as SampleFrames may give
    want = reference(real_video, indices)
    assert same_frames(reader.frames_at(indices), want) and same_frames(reader.frames_in_order(indices), want)
    assert reader.frames_at([0])[0].shape == (144, 176, 3) and reader.frames_at([0])[0].dtype == np.uint8


@pytest.mark.parametrize('backend', BACKENDS)
def test_reading_in_order_crosses_keyframes_where_indexed_reads_go_wrong(cockatoo, backend):
    keyframes = decord.VideoReader(cockatoo).get_key_indices()
    assert keyframes[:3] == [0, 76, 145]
    indices = [74, 75, 76, 77, 143, 144, 145, 146, 279, 3, 76]  # across both later keyframes, to the end
    want = reference(cockatoo, indices)
    assert same_frames(open_video(cockatoo, backend).frames_in_order(indices), want)
    clip = list(range(150, 246, 12))  # past the point where this file's seeks go wrong
    assert not same_frames(open_video(cockatoo, backend).frames_at(clip), reference(cockatoo, clip))


@pytest.mark.parametrize('backend', BACKENDS)
def test_seek_mismatches_finds_the_wrong_frames_and_passes_a_clean_file(cockatoo, real_video, backend):
    found = seek_mismatches(cockatoo, 8, backend)
    assert found['checked'][0] == 0 and found['checked'][-1] == 279 and len(found['checked']) == 8
    assert 0 not in found['wrong'] and found['wrong']  # the first frame reads right, later ones wrong
    assert seek_mismatches(real_video, 8, backend)['wrong'] == []


def test_auto_prefers_torchcodec_and_falls_back_to_decord(monkeypatch):
    monkeypatch.setattr(video_reader, 'torchcodec_error', lambda: 'torchcodec is not installed (test)')
    assert video_reader.resolve_backend('auto') == 'decord'
    with pytest.raises(ValueError, match="'torchcodec' but torchcodec is not installed .*backend='decord'"):
        video_reader.resolve_backend('torchcodec')
    with pytest.raises(ValueError, match="backend 'pyav' is not one of"):
        video_reader.resolve_backend('pyav')
    monkeypatch.setattr(video_reader, 'torchcodec_error', lambda: '')
    assert video_reader.resolve_backend('auto') == 'torchcodec'
