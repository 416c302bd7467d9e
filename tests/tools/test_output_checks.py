"""Bad outputs and bad videos cost seconds and one line: output paths are checked before a tool loads its
model, and a video that has no frames, no rate or is no video at all is named in one line."""
import sys
from types import SimpleNamespace

import pytest
from mmengine.config import Config

from loki_video.apis import init_model
from loki_video.apis.long_video import window_predictions
from loki_video.tool_main import run_main
from loki_video.user_error import UserError

from tiny_runner import TINY_CONFIG
from tool_loading import load_tool

UNWRITABLE = '/proc'  # refuses new files even to root, who ignores permission bits


WORK = dict(demo='predict', long_video_demo='window_predictions')  # what each tool must not start


def one_line(tool, argv, monkeypatch, capsys):
    """The single stderr line of ``tools/<tool>`` run on ``argv`` (a stand-in model); fails if its work starts."""
    module = load_tool(f'tools/{tool}')
    monkeypatch.setattr(module, 'init_model', lambda *args, **kwargs: SimpleNamespace(cfg=Config()))
    monkeypatch.setattr(module, WORK[tool[:-3]], lambda *args, **kwargs: pytest.fail('the work started'))
    monkeypatch.setattr(sys, 'argv', [tool, *argv])
    with pytest.raises(SystemExit) as ended:
        run_main(module.main)
    [line] = capsys.readouterr().err.splitlines()
    assert ended.value.code == 1
    return line


@pytest.mark.parametrize('tool, options, line', [
    ('demo.py', ['--json', f'{UNWRITABLE}/out.json'], f'demo.py: --json {UNWRITABLE}/out.json: cannot write in'),
    ('demo.py', ['--out-video', '/no/such/folder/out.mp4'],
     'demo.py: --out-video /no/such/folder/out.mp4: its folder /no/such/folder does not exist'),
    ('long_video_demo.py', ['--out', f'{UNWRITABLE}/labelled'], f'long_video_demo.py: --out {UNWRITABLE}/labelled: '
                                                                'cannot create this folder'),
])
def test_an_output_that_cannot_be_written_stops_the_tool_before_the_model_loads(tool, options, line, real_video,
                                                                                 monkeypatch, capsys):
    assert one_line(tool, ['config.py', 'ckpt.pth', real_video, *options], monkeypatch, capsys).startswith(line)


def test_a_folder_given_as_the_video_is_named_as_a_folder(tmp_path, monkeypatch, capsys):
    line = one_line('long_video_demo.py', ['config.py', 'ckpt.pth', str(tmp_path), '--out', str(tmp_path / 'out')],
                    monkeypatch, capsys)
    assert line == f'long_video_demo.py: {tmp_path} is a folder, not a video file'


@pytest.fixture(scope='module')
def tiny_model():
    return init_model(TINY_CONFIG)


@pytest.mark.parametrize('content', [b'', b'a text file, not a video\n'], ids=['empty', 'text'])
def test_a_file_that_is_no_video_is_one_line_for_long_videos(tiny_model, tmp_path, content):
    video = tmp_path / 'clip.mp4'
    video.write_bytes(content)
    with pytest.raises(UserError, match=f'not a readable video: {video}'):
        window_predictions(tiny_model, str(video), 2.0, 1.0, progress=False)


@pytest.mark.parametrize('opened, message', [
    (dict(total_frames=0, avg_fps=30.0), 'no frames to read'),
    (dict(total_frames=50, avg_fps=None), 'no frame rate in its header'),
    (dict(total_frames=50, avg_fps=0.0), 'no frame rate in its header'),
])
def test_no_frames_or_no_rate_is_one_line_for_long_videos(tiny_model, real_video, monkeypatch, opened, message):
    from loki_video.apis import long_video
    monkeypatch.setattr(long_video.TRANSFORMS, 'build', lambda cfg: lambda results: dict(results, **opened))
    with pytest.raises(UserError, match=message):
        window_predictions(tiny_model, real_video, 2.0, 1.0, progress=False)


def test_the_span_of_sampled_frames_is_not_given_in_seconds_without_a_rate(tiny_model, real_video, monkeypatch):
    from loki_video.apis import inputs
    first, last, frames = inputs.sampled_span(tiny_model.cfg, real_video)
    assert 0 <= first <= last and frames == 4   # the tiny config samples 4 frames
    real_build = inputs.TRANSFORMS.build
    monkeypatch.setattr(inputs.TRANSFORMS, 'build', lambda cfg: (lambda step: lambda results: dict(
        step(results), avg_fps=None))(real_build(cfg)))
    with pytest.raises(UserError, match='no frame rate in its header'):
        inputs.sampled_span(tiny_model.cfg, real_video)
