"""tools/analysis/pipeline_throughput.py: every pipeline of a config on a sample of videos, side by side."""
import subprocess
import sys
from pathlib import Path

import pytest

from loki_video.analysis.pipeline_throughput import format_table, pipeline_throughput, stock_pipeline, video_sample
from loki_video.user_error import UserFileError

from tiny_runner import TINY_CONFIG

REPO = Path(__file__).resolve().parents[2]


def test_each_split_and_pipeline_gets_its_rate_frames_decoded_and_cores_per_gpu(real_video):
    rows = pipeline_throughput(str(TINY_CONFIG), {'sample': [real_video]}, splits=('train', 'test'),
                               pipelines=('project', 'mmaction2', 'guarded'), views='2x1', rounds=1, passes=1)
    assert [(row['split'], row['pipeline']) for row in rows] == [
        (split, pipeline) for split in ('train', 'test') for pipeline in ('project', 'mmaction2', 'guarded')]
    assert all(row['clips_per_s'] > 0 and row['ms_per_clip'] == 1e3 / row['clips_per_s'] for row in rows)
    frames = {row['split']: row['frames_decoded'] for row in rows}
    assert frames['train'] >= 4 and frames['test'] >= 8   # 4-frame clips; the test split at 2 views
    table = format_table(rows, gpu_clips_per_s=100).splitlines()
    assert 'x mmaction2 on sample' in table[0] and 'cores/GPU at 100 clips/s' in table[0]
    stock_train = next(line for line in table if 'train' in line and 'mmaction2' in line).split()
    assert stock_train[-2] == '1.00' and float(stock_train[-1]) == pytest.approx(100 / rows[1]['clips_per_s'], 0.05)


def test_the_stock_pipeline_swaps_in_mmaction2s_transforms():
    steps = [dict(type='VideoInit'), dict(type='SampleFrames', clip_len=8), dict(type='VideoDecode'),
             dict(type='ClipResize', scale=(-1, 256)), dict(type='FormatShape', input_format='NCTHW')]
    assert [step['type'] for step in stock_pipeline(steps)] == ['DecordInit', 'SampleFrames', 'DecordDecode',
                                                                 'Resize', 'FormatShape']
    assert stock_pipeline(steps)[3]['scale'] == (-1, 256) and steps[3]['type'] == 'ClipResize'


def test_a_folder_is_a_sample_and_a_missing_path_is_one_line(real_video, tmp_path):
    with pytest.raises(UserFileError, match='no video files'):
        video_sample(str(tmp_path))
    result = subprocess.run([sys.executable, str(REPO / 'tools/analysis/pipeline_throughput.py'), str(TINY_CONFIG),
                             str(tmp_path / 'nothing')], capture_output=True, text=True)
    assert result.returncode == 1 and result.stderr.strip().endswith('no such video file or folder')
