"""What a GPU run of the KAN kernels needs, checked without a GPU: in subprocesses, where the kernels are
defined without TRITON_INTERPRET=1 (as on a GPU), unlike the rest of the tests.

* They compile for NVIDIA GPUs (sm_90, sm_80) without register spills and within 128 registers, as they
  launch: compiled ahead of time (loki_video.analysis.kan_kernel_resources), which catches what Triton's
  interpreter does not check: code the GPU compiler refuses, tiles too large for the registers.
* AOTAutograd, the stage between Dynamo and Inductor, decomposes the custom ops into their four kernels (traced
  with fake CUDA tensors): what lets Inductor see and schedule them.
"""
import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)

pytest.importorskip('triton')

SCRIPT = """
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
"""


def run_compiled(script):
    """The last line ``script`` prints, read as JSON, from a Python without TRITON_INTERPRET."""
    env = {k: v for k, v in os.environ.items() if k != 'TRITON_INTERPRET'}
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_kernels_compile_for_hopper_and_ampere_without_spills():
    records = run_compiled(SCRIPT)
    assert len(records) == 5 * 2 * 4   # settings x layers x kernels
    assert {r['kernel'] for r in records} == {'kan_forward_kernel', 'kan_grad_x_kernel', 'kan_grad_weight_kernel',
                                              'kan_weight_grads_kernel'}
    spilling = [r for r in records if r['spill_bytes'] > 0]
    assert not spilling, spilling
    assert all(0 < r['registers'] <= 128 for r in records)   # two programs of 8 warps per SM


DECOMPOSE = """
import json, logging, torch
from functorch.compile import aot_function, make_boxed_func
from torch._subclasses.fake_tensor import FakeTensorMode
from loki_video.models.peft.kan_op import kan_linear, kan_linear_backward
logging.getLogger('torch._higher_order_ops.triton_kernel_wrap').setLevel(logging.ERROR)  # no driver to analyse
graphs = []

def keep(graph, inputs):
    graphs.append(graph)
    return make_boxed_func(graph.forward)

def layer(x, base, spline, scaler, grad_y):
    return (kan_linear(x, base, spline, scaler, 3, 2.5, 5.5, True, torch.bfloat16),
            *kan_linear_backward(grad_y, x, base, spline, scaler, 3, 2.5, 5.5, True))

with FakeTensorMode(allow_non_fake_inputs=True):
    args = (torch.empty(197, 96, device='cuda', dtype=torch.bfloat16), torch.empty(12, 96, device='cuda'),
            torch.empty(12, 96, 8, device='cuda'), torch.empty(12, 96, device='cuda'),
            torch.empty(197, 12, device='cuda', dtype=torch.bfloat16))
    outputs = aot_function(layer, fw_compiler=keep)(*args)
targets = [str(node.target) for node in graphs[0].graph.nodes if node.op == 'call_function']
shapes, dtypes = [list(o.shape) for o in outputs], [str(o.dtype) for o in outputs]
print(json.dumps(dict(targets=targets, shapes=shapes, dtypes=dtypes)))
"""


def test_aot_autograd_decomposes_the_ops_into_their_kernels():
    traced = run_compiled(DECOMPOSE)
    kernels = [t for t in traced['targets'] if 'triton_kernel_wrapper_functional' in t]
    assert len(kernels) == 4 and not any('loki_video' in t for t in traced['targets']), traced['targets']
    assert traced['shapes'] == [[197, 12], [197, 96], [12, 96], [12, 96, 8], [12, 96]]
    assert traced['dtypes'] == ['torch.bfloat16', 'torch.bfloat16'] + ['torch.float32'] * 3
