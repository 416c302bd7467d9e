"""tools/stream_demo.py: a file read at its rate as if live, an HTTP stream served by ffmpeg, both cut short."""
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest

from loki_video.apis import init_recognizer
from loki_video.streaming import stream_classifier
from loki_video.streaming.live_source import LiveSource
from loki_video.streaming.stream_classifier import classify_stream

REPO = Path(__file__).resolve().parents[2]


def write_clip(path, seconds, fps=25, gop=25):
    """A moving square, H.264 with a keyframe every ``gop`` frames."""
    with av.open(str(path), 'w') as container:
        stream = container.add_stream('libx264', rate=fps, options={'g': str(gop)})
        stream.width, stream.height, stream.pix_fmt = 64, 48, 'yuv420p'
        for index in range(int(seconds * fps)):
            frame = np.full((48, 64, 3), 40, np.uint8)
            frame[10:30, index % 44:index % 44 + 20] = 220
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format='rgb24')))
        container.mux(stream.encode())
    return str(path)


def stream_demo(*arguments):
    return subprocess.Popen([sys.executable, str(REPO / 'tools/stream_demo.py'), *map(str, arguments)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def test_a_model_slower_than_the_stream_drops_frames_instead_of_queueing_them(tiny_model_folder, tmp_path,
                                                                                monkeypatch):
    model = init_recognizer(tiny_model_folder)
    real_predict = stream_classifier.predict

    def slow(*args, **kwargs):
        time.sleep(0.3)   # 7.5 frames of a 25 fps stream
        return real_predict(*args, **kwargs)
    monkeypatch.setattr(stream_classifier, 'predict', slow)
    source = LiveSource(write_clip(tmp_path / 'clip.mp4', 2.0), seconds=0.2).start()
    reports = []
    results = classify_stream(model, source, window=0.2, stride=0.04, report=reports.append)
    assert results['received'] == 50   # the reader never waited for the model
    assert results['dropped'] > 10 and results['predictions'] < 10
    assert results['dropped'] == reports[-1]['dropped']
    assert all(report['latency'] >= 0.3 for report in reports)


@pytest.mark.slow   # the tool in subprocesses, in real time (make test-fast leaves it out)
def test_a_file_is_read_at_its_rate_and_ctrl_c_leaves_a_whole_output_video(tiny_model_folder, tmp_path):
    clip = write_clip(tmp_path / 'clip.mp4', 3.0)
    started = time.monotonic()
    finished = stream_demo(tiny_model_folder, clip, '--window', '1', '--stride', '0.5', '--out-video',
                           tmp_path / 'whole.mp4')
    output = finished.communicate(timeout=120)[0]
    assert finished.returncode == 0, output
    lines = [line for line in output.splitlines() if 'latency' in line and ' s ' in line]
    assert len(lines) >= 4 and time.monotonic() - started >= 3.0   # paced: no faster than the clip plays
    assert ' over 75 frames at 25.00 fps, 0 frames dropped' in output
    with av.open(str(tmp_path / 'whole.mp4')) as written:
        assert sum(1 for _ in written.decode(video=0)) == 75
    interrupted = stream_demo(tiny_model_folder, write_clip(tmp_path / 'long.mp4', 20.0), '--out-video',
                              tmp_path / 'cut.mp4')
    deadline = time.monotonic() + 60
    while 'latency' not in interrupted.stdout.readline():
        assert time.monotonic() < deadline and interrupted.poll() is None
    interrupted.send_signal(signal.SIGINT)
    output = interrupted.communicate(timeout=60)[0]
    assert interrupted.returncode == 0 and 'stopped by Ctrl-C' in output, output
    with av.open(str(tmp_path / 'cut.mp4')) as written:
        frames = sum(1 for _ in written.decode(video=0))
    assert 25 <= frames < 500 and f'{frames} frames written' in output


@pytest.mark.slow
@pytest.mark.skipif(shutil.which('ffmpeg') is None, reason='no ffmpeg command (Debian: apt-get install ffmpeg)')
def test_an_http_stream_that_breaks_off_is_reopened_then_given_up_in_one_line(tiny_model_folder, tmp_path):
    clip = write_clip(tmp_path / 'clip.mp4', 4.0)
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    url = f'http://127.0.0.1:{port}/live.ts'
    server = subprocess.Popen(['ffmpeg', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', clip, '-c', 'copy',
                               '-f', 'mpegts', '-listen', '1', url])
    try:
        client = stream_demo(tiny_model_folder, url, '--window', '1', '--stride', '0.5', '--reconnects', '2',
                             '--retry-seconds', '0.2')
        deadline, predictions = time.monotonic() + 90, 0
        while predictions < 2:
            line = client.stdout.readline()
            assert time.monotonic() < deadline and (line or client.poll() is None)
            predictions += 'latency' in line
    finally:
        server.kill()   # the stream breaks off
        server.wait()
    output = client.communicate(timeout=60)[0]
    assert client.returncode == 1
    last = output.strip().splitlines()[-1]
    assert last.startswith(f'stream_demo.py: {url}: ') and 'gave up after 2 reconnects' in last
    assert 'the source was reopened 2 times' in output
