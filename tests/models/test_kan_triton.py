"""The Triton backend of KANLinear against the float64 Cox-de Boor reference.

Without a GPU the kernels run in Triton's interpreter on CPU tensors (``TRITON_INTERPRET=1``, set
by conftest.py before anything imports them); with one they run compiled on it. Tolerances: float32
1e-5 relative to the largest reference value (measured ~1e-7); float16 and bfloat16 inputs are
compared with the reference of the same rounded inputs, so only the output's rounding remains
(half a unit in the last place: 2^-11 and 2^-8 relative).
"""
import os
import subprocess
import sys

import pytest
import torch

from loki_video.models.peft import KAN, KANLinear, build_tuning_module

pytest.importorskip('triton')
DEVICE = 'cuda' if torch.cuda.is_available() else 'cpu'
ROUNDING = {torch.float32: 1e-5, torch.float16: 2e-3, torch.bfloat16: 1e-2}


def layer_pair(n_in, n_out, seed=0, **options):
    """A Triton layer on DEVICE and its float64 copy on the closed form; same weights."""
    torch.manual_seed(seed)
    reference = KANLinear(n_in, n_out, kan_backend='torch', **options).double()
    fused = KANLinear(n_in, n_out, kan_backend='triton', **options).to(DEVICE)
    fused.load_state_dict(reference.state_dict())
    with torch.no_grad():  # random spline weights: the default initialisation makes the spline term tiny
        for layer in (reference, fused):
            generator = torch.Generator().manual_seed(1)
            layer.spline_weight.copy_(torch.randn(layer.spline_weight.shape, generator=generator))
    return fused, reference


def compare(fused, reference, x, dtype=torch.float32):
    """Output and the gradients of x, base_weight, spline_weight, spline_scaler: Triton vs Cox-de Boor."""
    x_fused = x.to(DEVICE, dtype).detach().requires_grad_()
    x_reference = x.to(dtype).double().detach().requires_grad_()   # the same rounded inputs
    y = fused(x_fused)
    want = reference.reference_forward(x_reference)
    assert y.dtype == dtype and y.shape == want.shape
    grad_y = torch.randn(want.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    names = ('base_weight', 'spline_weight', 'spline_scaler')
    got = torch.autograd.grad(y, [x_fused] + [getattr(fused, n) for n in names], grad_y.to(DEVICE, dtype))
    wanted = torch.autograd.grad(want, [x_reference] + [getattr(reference, n) for n in names], grad_y)
    assert got[0].dtype == dtype and all(g.dtype == torch.float32 for g in got[1:])
    rounding = ROUNDING[dtype]
    for name, value, expected in zip(('output', 'x', *names), (y, *got), (want, *wanted)):
        error = (value.double().cpu() - expected).abs().max().item()
        bound = rounding * expected.abs().max().item() + 1e-12
        assert error <= bound, f'{name}: {error:.3g} > {bound:.3g}'


@pytest.mark.parametrize('spline_order', [1, 2, 3, 4, 5])
@pytest.mark.parametrize('spline_input', ['tanh', 'identity'])
def test_orders_and_input_modes_match_cox_de_boor(spline_order, spline_input):
    fused, reference = layer_pair(7, 5, grid_size=4, spline_order=spline_order, spline_input=spline_input)
    # inside the grid, on the extension knots and beyond the extended grid
    compare(fused, reference, torch.empty(37, 7).uniform_(-3.5, 3.5))


@pytest.mark.parametrize('n_in,n_out,rows,grid_size', [
    (96, 12, 197, 5),     # LoKi's first KAN layer, one frame
    (12, 96, 1, 5),       # its second layer, one row
    (768, 11, 3, 5),      # the KAN adapter's layers
    (11, 768, 2, 5),
    (64, 8, 70, 9),       # tiny configs' widths, rows across two tiles, another grid
])
def test_widths_rows_and_grids(n_in, n_out, rows, grid_size):
    fused, reference = layer_pair(n_in, n_out, grid_size=grid_size)
    compare(fused, reference, torch.randn(rows, n_in) * 1.5)


@pytest.mark.parametrize('x', [torch.randn(6, 30).T, torch.randn(2, 6, 5).transpose(1, 2),
                               torch.randn(4, 5, 12)[..., ::2]], ids=['transposed', 'leading-axes', 'strided'])
def test_non_contiguous_inputs(x):
    assert not x.is_contiguous()
    fused, reference = layer_pair(6, 9)
    compare(fused, reference, x)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_half_precision_inputs(dtype):
    fused, reference = layer_pair(20, 6)
    compare(fused, reference, torch.randn(50, 20), dtype)


def test_autocast_dtype_rules_as_the_closed_form():
    fused, _ = layer_pair(16, 8)
    closed = KANLinear(16, 8, kan_backend='torch').to(DEVICE)
    closed.load_state_dict(fused.state_dict())
    x = torch.randn(30, 16, device=DEVICE)
    with torch.autocast(DEVICE, dtype=torch.bfloat16):
        got, want = fused(x), closed(x)
    assert got.dtype == want.dtype == torch.bfloat16
    torch.testing.assert_close(got.float(), want.float(), rtol=0.02, atol=0.02)  # the base term is a bf16 matmul
    got.float().sum().backward()
    assert all(p.grad.dtype == torch.float32 and p.grad.isfinite().all() for p in fused.parameters())


def test_weight_gradients_are_deterministic_across_row_splits():
    fused, _ = layer_pair(12, 8)
    x = torch.randn(1579, 12, device=DEVICE, requires_grad=True)   # 25 row tiles: 4 splits of the reduction
    grads = [torch.autograd.grad(fused(x).square().sum(), list(fused.parameters()) + [x]) for _ in range(2)]
    assert all(torch.equal(a, b) for a, b in zip(*grads))


def test_same_keys_and_outputs_as_the_closed_form():
    torch.manual_seed(3)
    closed = KAN([10, 4, 10], kan_backend='torch').to(DEVICE)
    fused = KAN([10, 4, 10], kan_backend='triton').to(DEVICE)
    assert fused.state_dict().keys() == closed.state_dict().keys()
    fused.load_state_dict(closed.state_dict())
    x = torch.randn(40, 10, device=DEVICE)
    torch.testing.assert_close(fused(x), closed(x), rtol=1e-5, atol=1e-6)


def test_backend_reaches_every_kan_from_a_slot_config():
    loki = build_tuning_module(dict(type='LoKi', kan_backend='triton'), 64)
    adapter = build_tuning_module(dict(type='KANAdapter', hidden=4, kan_backend='torch'), 64)
    assert [layer.kan_backend for layer in loki.kan.layers] == ['triton', 'triton']
    assert [layer.kan_backend for layer in adapter.kan.layers] == ['torch', 'torch']
    x = torch.randn(3, 5, 64, device=DEVICE, requires_grad=True)
    loki.to(DEVICE)(x).sum().backward()
    assert x.grad.shape == x.shape


def test_auto_takes_triton_only_on_cuda():
    layer = KANLinear(4, 3)
    assert layer.kan_backend == 'auto'
    assert not layer.runs_triton(torch.zeros(2, 4))
    if torch.cuda.is_available():
        assert layer.runs_triton(torch.zeros(2, 4, device='cuda'))
        assert not layer.runs_triton(torch.zeros(2, 4, device='cuda', dtype=torch.float64))


def test_wrong_settings_fail_at_once():
    with pytest.raises(ValueError, match="kan_backend must be one of"):
        KANLinear(4, 3, kan_backend='cuda')
    with pytest.raises(ValueError, match="fuses the SiLU base activation, got GELU"):
        KANLinear(4, 3, base_activation=torch.nn.GELU, kan_backend='triton')
    with pytest.raises(TypeError, match="got torch.float64"):
        KANLinear(4, 3, kan_backend='triton')(torch.zeros(2, 4, dtype=torch.float64))


def test_triton_on_cpu_tensors_without_the_interpreter_says_what_to_do():
    script = ('import torch; from loki_video.models.peft import LoKi\n'
              "LoKi(16, kan_backend='triton')(torch.zeros(2, 16))")
    env = {k: v for k, v in os.environ.items() if k != 'TRITON_INTERPRET'}
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode != 0
    assert "kan_backend='triton' got a CPU tensor" in result.stderr and 'TRITON_INTERPRET=1' in result.stderr


def test_compiles_without_a_graph_break():
    """fullgraph=True fails on any graph break. Under the interpreter only Dynamo's trace (backend 'eager')
    can be checked: AOTAutograd decomposes a triton_op by running its kernels on functional tensors, which
    interpreted kernels cannot (they read the data); on a GPU the test compiles with Inductor."""
    backend = 'inductor' if DEVICE == 'cuda' else 'eager'
    torch.manual_seed(4)
    kan = KAN([6, 4, 6], kan_backend='triton').to(DEVICE)
    x = torch.randn(20, 6, device=DEVICE, requires_grad=True)
    torch._dynamo.reset()
    compiled = torch.compile(kan, fullgraph=True, backend=backend)
    got = compiled(x)
    got.square().sum().backward()
    grads = [p.grad.clone() for p in kan.parameters()]
    kan.zero_grad()
    want = kan(x)
    want.square().sum().backward()
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    for got_grad, p in zip(grads, kan.parameters()):
        torch.testing.assert_close(got_grad, p.grad, rtol=1e-5, atol=1e-6)

