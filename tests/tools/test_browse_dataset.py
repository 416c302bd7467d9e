"""mmaction2's browse_dataset.py (shipped with mmaction2) on the custom config: the augmented clips as MP4 files."""
import os
import os.path as osp
import subprocess
import sys

import decord
import mmaction
import pytest

from loki_video.datasets.sample_clips import write_sample_clips

from tool_loading import load_tool

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BROWSE = osp.join(osp.dirname(mmaction.__file__), '.mim', 'tools', 'visualizations', 'browse_dataset.py')


def test_browse_dataset_writes_every_step_of_the_custom_pipeline(tmp_path, monkeypatch):
    write_sample_clips(str(tmp_path / 'data' / 'custom'))
    monkeypatch.chdir(tmp_path)
    load_tool('tools/data/build_video_list.py').main(
        ['folder', 'data/custom/videos/train', '--out', 'data/custom/train_list.txt',
         '--label-names', 'data/custom/classes.txt'])
    result = subprocess.run([sys.executable, BROWSE, osp.join(REPO, 'configs/custom/loki_custom_8x1x1.py'), 'out',
                             '--show-number', '2', '--mode', 'pipeline'], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(os.listdir('out')) == ['video_0.mp4', 'video_1.mp4']
    clip = decord.VideoReader('out/video_0.mp4')
    assert len(clip) == 8   # the config's clip_len: one frame of the grid per sampled frame
    height, width, _ = clip[0].shape
    assert width > 2 * height   # the steps side by side
