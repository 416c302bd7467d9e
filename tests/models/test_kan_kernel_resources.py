"""The KAN kernels compile for NVIDIA GPUs (sm_90, sm_80) without register spills, as they launch.

Compiled ahead of time on this machine, no GPU needed (loki_video.analysis.kan_kernel_resources); this
catches what Triton's interpreter does not check: code the GPU compiler refuses, tiles too large for the
registers. In a subprocess: the kernels must be defined without TRITON_INTERPRET=1.
"""
import json
import os
import subprocess
import sys

import pytest

pytest.importorskip('triton')

SCRIPT = '''
import json, torch
from loki_video.analysis.kan_kernel_resources import kernel_resources
records = []
for widths, dtype, arch, order, squash in [
        ((96, 12, 96), torch.bfloat16, 90, 3, True), ((96, 12, 96), torch.float32, 90, 3, False),
        ((768, 11, 768), torch.bfloat16, 90, 3, True), ((96, 12, 96), torch.float16, 80, 1, True),
        ((96, 12, 96), torch.float32, 80, 5, False)]:
    for record in kernel_resources(widths, rows=12608, dtype=dtype, arch=arch, spline_order=order, squash=squash):
        records.append(dict(record, setting=f'{widths} {dtype} sm_{arch} order {order} squash {squash}'))
print(json.dumps(records))
'''


def test_kernels_compile_for_hopper_and_ampere_without_spills():
    env = {k: v for k, v in os.environ.items() if k != 'TRITON_INTERPRET'}
    result = subprocess.run([sys.executable, '-c', SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    records = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(records) == 5 * 2 * 3   # settings x layers x (forward, grad_x, grad_weight)
    assert {r['kernel'] for r in records} == {'kan_forward_kernel', 'kan_grad_x_kernel', 'kan_grad_weight_kernel'}
    spilling = [r for r in records if r['spill_bytes'] > 0]
    assert not spilling, spilling
    assert all(0 < r['registers'] <= 255 for r in records)
