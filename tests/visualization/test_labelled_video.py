"""loki_video.visualization.labelled_video: the re-encoded video with its predictions drawn on every frame."""
from fractions import Fraction

import numpy as np
from torchcodec.decoders import VideoDecoder

from loki_video.visualization.labelled_video import label_panel_box, write_labelled_video

PREDICTIONS = [dict(name='riding a bike', index=3, score=0.81), dict(name=None, index=1, score=0.1)]


def test_written_video_has_the_input_frames_and_rate_and_differs_only_in_the_label_panel(real_video, tmp_path):
    out = str(tmp_path / 'labelled.mp4')
    count, rate, size = write_labelled_video(real_video, out, PREDICTIONS)
    source, written = VideoDecoder(real_video), VideoDecoder(out)
    assert count == written.metadata.num_frames == len(source) and written.metadata.codec == 'h264'
    assert abs(written.metadata.average_fps - source.metadata.average_fps) < 1e-6 and rate > 0
    assert size == (written.metadata.width, written.metadata.height) == (source.metadata.width,
                                                                         source.metadata.height)
    difference = np.abs(source[:].data.numpy().astype(int) - written[:].data.numpy().astype(int))
    height, width = label_panel_box((size[1], size[0]), len(PREDICTIONS))
    outside = np.ones(difference.shape[-2:], bool)
    outside[:height, :width] = False
    assert difference[..., :height, :width].mean() > 30     # the panel: darkened, bars and text
    assert difference[..., outside].mean() < 6               # elsewhere: H.264's rounding only


def test_another_size(real_video, tmp_path):
    out = str(tmp_path / 'large.mp4')
    assert write_labelled_video(real_video, out, PREDICTIONS, size=(353, 288))[2] == (352, 288)   # even sides
    assert (VideoDecoder(out).metadata.width, VideoDecoder(out).metadata.height) == (352, 288)


def write_variable_rate_video(path, seconds):
    """An H.264 MP4 whose frames are shown at ``seconds`` (a variable rate), each a flat grey level."""
    import av
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('libx264', rate=1000)
        stream.width, stream.height, stream.pix_fmt = 64, 48, 'yuv420p'
        stream.codec_context.time_base = Fraction(1, 1000)
        for index, time in enumerate(seconds):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20 * index, np.uint8), format='rgb24')
            frame.pts, frame.time_base = round(time * 1000), Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


def test_variable_rate_frames_get_the_predictions_of_their_own_timestamps(tmp_path):
    seconds = [0.0, 0.1, 0.2, 1.0, 1.05, 2.5]
    source = tmp_path / 'variable.mp4'
    write_variable_rate_video(source, seconds)
    asked = []
    count, _, _ = write_labelled_video(str(source), str(tmp_path / 'out.mp4'),
                                       lambda time: asked.append(time) or PREDICTIONS)
    assert count == len(seconds)
    assert np.allclose(asked, seconds, atol=1e-3)   # not index / average rate


def test_frames_are_encoded_as_they_are_decoded(real_video, tmp_path, monkeypatch):
    """Memory does not grow with the length: the first frame is encoded before the last chunk is decoded."""
    import av
    events, decode, encode = [], VideoDecoder.get_frames_in_range, av.VideoFrame.from_ndarray
    monkeypatch.setattr(VideoDecoder, 'get_frames_in_range',
                        lambda self, *args: (events.append('decode'), decode(self, *args))[1])
    monkeypatch.setattr(av.VideoFrame, 'from_ndarray', lambda *args, **kwargs: (events.append('encode'),
                                                                               encode(*args, **kwargs))[1])
    count, _, _ = write_labelled_video(real_video, str(tmp_path / 'out.mp4'), PREDICTIONS)
    assert events.count('encode') == count and events.count('decode') == -(-count // 32) > 1
    assert events.index('encode') < len(events) - 1 - events[::-1].index('decode')


def test_a_caption_is_drawn_under_the_classes(real_video, tmp_path):
    plain, captioned = str(tmp_path / 'plain.mp4'), str(tmp_path / 'captioned.mp4')
    write_labelled_video(real_video, plain, PREDICTIONS)
    write_labelled_video(real_video, captioned, PREDICTIONS, caption='from 8 frames, 0.2-4.5 s')
    a, b = VideoDecoder(plain)[0].numpy().astype(int), VideoDecoder(captioned)[0].numpy().astype(int)
    height, width = label_panel_box(a.shape[1:], len(PREDICTIONS))
    below = label_panel_box(a.shape[1:], len(PREDICTIONS) + 1)[0]
    assert np.abs(a - b)[:, height:below, :width].mean() > 10   # the caption's line
    assert np.abs(a - b)[:, below + 8:].mean() < 3
