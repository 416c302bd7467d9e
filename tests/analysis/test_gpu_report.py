"""tools/analysis/gpu_report.py: the quick run on CPU (Triton interpreted) covers every section, and the targets."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from loki_video.analysis.gpu_report import check_targets, markdown

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)

ROOT = Path(__file__).resolve().parents[2]


def test_quick_cpu_run_writes_every_section(tmp_path):
    result = subprocess.run([sys.executable, 'tools/analysis/gpu_report.py', '--device', 'cpu', '--quick',
                             '--out', str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    report = json.loads((tmp_path / 'gpu_report.json').read_text())
    assert report['environment']['device'] == 'cpu' and report['environment']['triton_interpret']
    assert report['accuracy']['passed'] and report['accuracy']['deterministic']
    assert {row['case'] for row in report['accuracy']['cases']} == {'order 1, tanh', 'bfloat16 input'}
    assert [run['precision'] for run in report['kan']] == ['float32', 'bf16 autocast']
    for run in report['kan']:
        names = [r['name'] for r in run['results']]
        assert names == ['16-4-16 triton', '16-4-16 closed-form', '16-4-16 cox-de-boor', '16-4-16 mlp']
        bound = 1e-5 if run['precision'] == 'float32' else 0.05
        assert run['results'][0]['max_abs_diff'] < bound and run['results'][0]['step_time_s'] > 0
    (models, ) = report['models']
    assert not models['compiled'] and [r['name'] for r in models['results']] == [
        'aim_k400_8x1x1', 'loki_k400_8x1x1', 'linear_k400_8x1x1']
    assert [c['target'].split(':')[0] for c in report['targets']] == [
        'KAN 16-4-16 Triton, float32', 'KAN 16-4-16 Triton / MLP 16-8-16, float32',
        'KAN 16-4-16 Triton, bf16 autocast', 'KAN 16-4-16 Triton / MLP 16-8-16, bf16 autocast',
        'LoKi / AIM step, eager', 'LoKi / AIM memory, eager']
    text = (tmp_path / 'gpu_report.md').read_text()
    for heading in ('## (a) Triton kernels', '## (b) KAN forward + backward, 64 tokens, bf16 autocast',
                    '## (c) Training step, batch 1, fp32, eager', '## Targets'):
        assert heading in text


def kan_result(name, seconds):
    return dict(name=name, step_time_s=seconds, peak_memory_bytes=2**20)


def model_result(name, seconds, memory):
    return dict(name=name, tunable_params=1, step_time_s=seconds, clips_per_s=8 / seconds, peak_memory_bytes=memory)


def test_targets_are_decided_by_the_measurements():
    report = dict(environment=dict(device='cuda'), plan=dict(kan_widths=[[96, 12, 96]], tokens=12608), kan=[
        dict(precision='float32', results=[kan_result('96-12-96 triton', 0.20e-3),
                                           kan_result('96-12-96 closed-form', 5e-3),
                                           kan_result('96-12-96 cox-de-boor', 5.5e-3),
                                           kan_result('96-12-96 mlp', 0.08e-3)])],
        models=[dict(compiled=True, amp=True, batch=8, results=[model_result('aim_k400_8x1x1', 0.050, 100),
                                                                model_result('loki_k400_8x1x1', 0.049, 101)])])
    checks = {c['target']: c for c in check_targets(report)}
    assert checks['KAN 96-12-96 Triton, float32: <= 0.25 ms']['ok']
    assert not checks['KAN 96-12-96 Triton / MLP 96-24-96, float32: <= 2.0']['ok']   # 2.5x the MLP
    assert checks['LoKi / AIM step, compiled: <= 1.00']['ok']
    assert not checks['LoKi / AIM memory, compiled: <= 1.00']['ok']
    report['targets'] = list(checks.values())
    assert '| KAN 96-12-96 | Triton | 0.200 | 2.50 | 0.04 |' in markdown(report)


def test_without_cuda_it_says_how_to_check_it():
    result = subprocess.run([sys.executable, 'tools/analysis/gpu_report.py'], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode != 0 and '--device cpu --quick' in result.stderr
