"""tools/analysis/benchmark.py: the measurement, configs side by side, the KAN comparison, errors."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from loki_video.analysis.benchmark import measure

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)

ROOT = Path(__file__).resolve().parents[2]
TINY = 'tests/tools/configs/tiny_video.py'


def test_cpu_peak_memory_is_what_the_step_allocates():
    def allocate():
        x = torch.ones(64, 2**20 // 4 * 1)  # 64 MiB, touched
        return x.sum()

    seconds, peak = measure(allocate, 'cpu', memory=True)
    assert seconds > 0 and 60 * 2**20 <= peak <= 100 * 2**20
    _, quiet = measure(lambda: None, 'cpu', memory=True)
    assert quiet < 8 * 2**20
    assert measure(allocate, 'cpu')[1] is None  # timed steps do not reset the peak


def benchmark(tmp_path, *args):
    out = tmp_path / 'result.json'
    subprocess.run([sys.executable, 'tools/analysis/benchmark.py', *args, '--json', str(out)], cwd=ROOT,
                   check=True, capture_output=True, text=True)
    return json.loads(out.read_text())['results']


def test_a_config_side_by_side_with_and_without_checkpointing(tmp_path):
    results = benchmark(tmp_path, TINY, '--with-cp', 'both', '--repeat', '2', '--warmup', '1', '--batch', '2')
    assert [r['name'] for r in results] == ['tiny_video', 'tiny_video +cp']
    assert results[0]['time_ratio'] == results[0]['memory_ratio'] == 1.0
    for r in results:
        assert len(r['step_times_s']) == 2 and r['step_time_s'] > 0
        assert r['clips_per_s'] == 2 / r['step_time_s']
        assert r['peak_memory_bytes'] > 0
        assert r['time_ratio'] == r['step_time_s'] / results[0]['step_time_s']
    assert results[0]['tunable_params'] == results[1]['tunable_params'] == 8_440


def test_test_mode(tmp_path):
    (result, ) = benchmark(tmp_path, TINY, '--mode', 'test', '--repeat', '1', '--warmup', '0')
    assert result['step_time_s'] > 0


def test_kan_implementations_side_by_side(tmp_path):
    """Triton's kernels run in the interpreter here (conftest sets TRITON_INTERPRET=1 without CUDA)."""
    results = benchmark(tmp_path, '--kan', '16', '4', '16', '--tokens', '200', '--repeat', '2', '--warmup', '1')
    assert [r['name'] for r in results] == ['KAN 16-4-16 Triton', 'KAN 16-4-16 closed form', 'KAN 16-4-16 Cox-de Boor',
                                            'MLP 16-8-16 (GELU)']
    triton, closed_form, recursion, mlp = results
    assert triton['max_abs_diff'] < 1e-5 and closed_form['max_abs_diff'] < 1e-5 and recursion['max_abs_diff'] == 0
    assert 'max_abs_diff' not in mlp
    assert triton['tunable_params'] == closed_form['tunable_params'] == 2 * 10 * 16 * 4
    assert mlp['tunable_params'] == 2 * 16 * 8 + 8 + 16


def test_errors_name_the_problem():
    both = subprocess.run([sys.executable, 'tools/analysis/benchmark.py', TINY, '--kan', '4', '4'], cwd=ROOT,
                          capture_output=True, text=True)
    assert both.returncode == 2 and 'not both' in both.stderr
    missing = subprocess.run([sys.executable, 'tools/analysis/benchmark.py', 'configs/nope.py'], cwd=ROOT,
                             capture_output=True, text=True)
    assert missing.returncode == 2 and 'configs/nope.py' in missing.stderr
    amp = subprocess.run([sys.executable, 'tools/analysis/benchmark.py', TINY, '--amp', '--device', 'cpu'],
                         cwd=ROOT, capture_output=True, text=True)
    assert amp.returncode == 2 and '--amp needs a CUDA device for configs' in amp.stderr
