"""loki_video.visualization.labelled_video: the re-encoded video with its predictions drawn on every frame."""
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


def test_pyav_encodes_where_torchcodec_cannot(real_video, tmp_path, monkeypatch):
    import torchcodec.encoders

    def cannot(*args, **kwargs):
        raise RuntimeError('no H.264 encoder in this FFmpeg')
    monkeypatch.setattr(torchcodec.encoders.VideoEncoder, 'to_file', cannot)
    out = str(tmp_path / 'pyav.mp4')
    count, _, _ = write_labelled_video(real_video, out, PREDICTIONS)
    assert VideoDecoder(out).metadata.num_frames == count == len(VideoDecoder(real_video))
    assert VideoDecoder(out).metadata.codec == 'h264'
