"""tools/run_demo.py end to end, shrunk: every stage, tool and output of `make demo` on a handful of samples."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)

ROOT = Path(__file__).resolve().parents[2]
# What tools/analysis/params.py counts for the demo configs (LoKi 64-16-[KAN 16-8-16]-16-64 and
# AIM 64-16-64 in 3 slots x 4 blocks, plus the temporal embedding, final norm and head).
TUNABLE = dict(loki=57416, aim=26696, linear=520)


def test_run_demo_runs_every_stage_and_writes_the_summary(tmp_path):
    work_root = tmp_path / 'work'
    result = subprocess.run(
        [sys.executable, 'tools/run_demo.py', '--data-root', str(tmp_path / 'data'), '--work-root', str(work_root),
         '--videos-per-class', 'train=1', 'val=1', 'test=1', '--frames-per-class', 'train=2', 'val=1',
         '--cfg-options', 'train_cfg.max_epochs=1', 'train_cfg.val_interval=1'],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-5000:]
    summary = json.loads((work_root / 'summary.json').read_text())
    assert 0 <= summary['pretrain']['frame_val_top1'] <= 1
    assert list(summary['methods']) == ['loki', 'aim', 'linear']
    for name, method in summary['methods'].items():
        assert method['tunable_params'] == TUNABLE[name]
        assert set(method['top1_views']) == {'1x1', '3x1'} and method['top1'] == method['top1_views']['1x1']
        assert (ROOT / method['checkpoint']).is_file() or Path(method['checkpoint']).is_file()
        report = json.loads((work_root / name / 'test_3x1.json').read_text())
        assert (report['views'], report['evaluated']) == (3, 8)
        assert f'\n{name} ' in result.stdout       # a row of the printed table
    assert (work_root / 'logs' / 'loki_train.log').is_file()


def test_a_failing_step_stops_the_demo_and_shows_its_log(tmp_path):
    # No validation frames: the first tool run (frame pretraining) fails in its checks.
    result = subprocess.run(
        [sys.executable, 'tools/run_demo.py', '--data-root', str(tmp_path / 'data'), '--work-root',
         str(tmp_path / 'work'), '--videos-per-class', 'train=1', '--frames-per-class', 'train=1', 'val=0',
         '--cfg-options', 'train_cfg.max_epochs=1'],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    assert result.returncode == 1
    assert 'FAILED: pretrain failed (exit code 1)' in result.stdout
    assert f'--- last lines of {tmp_path}/work/logs/pretrain.log ---' in result.stdout
    assert f'val_dataloader.dataset.data_prefix: folder {tmp_path}/data/pose_frames/val does not exist' in result.stdout
    assert not (tmp_path / 'work' / 'summary.json').exists()


def test_pretrain_only_stops_after_the_frame_pretraining(tmp_path):
    work_root = tmp_path / 'work'
    result = subprocess.run(
        [sys.executable, 'tools/run_demo.py', '--pretrain-only', '--data-root', str(tmp_path / 'data'),
         '--work-root', str(work_root), '--videos-per-class', 'train=1', '--frames-per-class', 'train=1', 'val=1',
         '--cfg-options', 'train_cfg.max_epochs=1', 'train_cfg.val_interval=1'],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-5000:]
    summary = json.loads((work_root / 'summary.json').read_text())
    assert 'methods' not in summary and Path(summary['pretrain']['checkpoint']).name == 'epoch_1.pth'
    assert not (work_root / 'loki').exists()
