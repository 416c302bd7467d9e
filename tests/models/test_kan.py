"""Tests for loki_video.models.peft.kan and .bspline against scipy and the Cox-de Boor recursion."""

import numpy as np
import pytest
import torch
from scipy.interpolate import BSpline

from loki_video.models.peft import bspline
from loki_video.models.peft.bspline import SplineLinear, cardinal_terms, cox_de_boor_bases, uniform_bspline_bases
from loki_video.models.peft.kan import KAN, KANLinear

TOL = 1e-10  # float64 throughout (the requirement is 1e-6; measured ~1e-15)


def ref_knots(grid_size, spline_order, grid_range):
    lo, hi = grid_range
    h = (hi - lo) / grid_size
    return lo + h * np.arange(-spline_order, grid_size + spline_order + 1, dtype=np.float64)


def ref_bases(x, grid_size, spline_order, grid_range):
    """(...,) float64 -> (..., grid_size + spline_order) via scipy basis elements."""
    t = ref_knots(grid_size, spline_order, grid_range)
    cols = []
    for j in range(grid_size + spline_order):
        b = BSpline.basis_element(t[j : j + spline_order + 2], extrapolate=False)
        cols.append(np.nan_to_num(b(x), nan=0.0))
    return np.stack(cols, axis=-1)


def ref_squash(x, grid_range):
    lo, hi = grid_range
    return lo + (hi - lo) * (np.tanh(x) + 1.0) / 2.0


def ref_layer(layer, x, squash):
    """Literal per-(o, i, j) sums in float64 numpy: x (n, in) -> (n, out)."""
    bw = layer.base_weight.detach().double().numpy()
    sw = layer.spline_weight.detach().double().numpy()
    sc = layer.spline_scaler.detach().double().numpy()
    xs = ref_squash(x, layer.grid_range) if squash else x
    B = ref_bases(xs, layer.grid_size, layer.spline_order, layer.grid_range)  # (n, in, nb)
    silu = x / (1.0 + np.exp(-x))
    n, d_in = x.shape
    y = np.zeros((n, layer.out_features))
    for o in range(layer.out_features):
        for i in range(d_in):
            y[:, o] += bw[o, i] * silu[:, i] + sc[o, i] * (B[:, i, :] @ sw[o, i])
    return y


@pytest.mark.parametrize(
    'grid_size,spline_order,grid_range',
    [(5, 3, (-1.0, 1.0)), (8, 2, (-2.0, 1.0)), (3, 1, (0.0, 4.0))],
)
def test_bases_match_scipy(grid_size, spline_order, grid_range):
    torch.manual_seed(0)
    layer = KANLinear(4, 2, grid_size, spline_order, grid_range, spline_input='identity').double()
    lo, hi = grid_range
    x = torch.empty(64, 4, dtype=torch.float64).uniform_(lo, hi)
    got = layer.b_spline_bases(x)
    assert got.shape == (64, 4, grid_size + spline_order)
    want = ref_bases(x.numpy(), grid_size, spline_order, grid_range)
    assert np.abs(got.numpy() - want).max() < TOL
    assert (got - cox_de_boor_bases(x, layer.grid, spline_order)).abs().max() < TOL
    # inside the grid range the bases form a partition of unity
    np.testing.assert_allclose(got.sum(-1).numpy(), 1.0, atol=1e-12)


@pytest.mark.parametrize('spline_input', ['identity', 'tanh'])
@pytest.mark.parametrize('grid_range', [(-1.0, 1.0), (-2.0, 1.0)])
def test_layer_matches_reference(spline_input, grid_range):
    torch.manual_seed(1)
    layer = KANLinear(6, 3, grid_range=grid_range, spline_input=spline_input).double()
    # covers the grid range, the extension knots and beyond (where raw bases vanish)
    x = torch.empty(64, 6, dtype=torch.float64).uniform_(-4.0, 4.0)
    got = layer(x).detach().numpy()
    want = ref_layer(layer, x.numpy(), squash=spline_input == 'tanh')
    assert np.abs(got - want).max() < TOL


@pytest.mark.parametrize('spline_input', ['identity', 'tanh'])
def test_gradcheck(spline_input):
    torch.manual_seed(2)
    layer = KANLinear(3, 2, spline_input=spline_input).double()
    x = torch.empty(5, 3, dtype=torch.float64).uniform_(-0.95, 0.95).requires_grad_()
    names = [n for n, _ in layer.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_() for p in layer.parameters())

    def f(x, *ps):
        return torch.func.functional_call(layer, dict(zip(names, ps)), (x,))

    assert torch.autograd.gradcheck(f, (x, *params))


@pytest.mark.parametrize(
    'd_in,d_out,grid_size,spline_order',
    [(1, 1, 5, 3), (7, 3, 5, 3), (16, 9, 4, 2), (5, 12, 10, 1)],
)
def test_parameter_count(d_in, d_out, grid_size, spline_order):
    layer = KANLinear(d_in, d_out, grid_size, spline_order)
    n = sum(p.numel() for p in layer.parameters())
    assert n == (grid_size + spline_order + 2) * d_in * d_out
    assert all(p.requires_grad for p in layer.parameters())
    assert 'grid' not in dict(layer.named_parameters())
    assert 'grid' in dict(layer.named_buffers()) and 'grid' in layer.state_dict()
    assert layer.grid.numel() == grid_size + 2 * spline_order + 1


def test_kan_loki_parameter_count():
    kan = KAN([768, 11, 768])
    assert sum(p.numel() for p in kan.parameters()) == 168_960
    assert len(kan.layers) == 2 and all(isinstance(m, KANLinear) for m in kan.layers)
    assert kan(torch.randn(3, 768)).shape == (3, 768)


@pytest.mark.parametrize('x', [5.0, -7.0, 50.0, -50.0])
def test_out_of_grid_inputs(x):
    torch.manual_seed(3)
    inp = torch.full((2, 4), x)
    # default: tanh squashing keeps the spline branch alive for any magnitude
    layer = KANLinear(4, 3)
    layer(inp).sum().backward()
    assert (layer.spline_weight.grad.abs().sum(-1) > 0).all()
    assert (layer.spline_scaler.grad != 0).all()
    # raw textbook layer: bases vanish outside the extended grid, spline term is exactly zero
    raw = KANLinear(4, 3, spline_input='identity')
    raw(inp).sum().backward()
    assert (raw.b_spline_bases(inp) == 0).all()
    assert (raw.spline_weight.grad == 0).all()
    with torch.no_grad():
        base_only = torch.nn.functional.linear(torch.nn.functional.silu(inp), raw.base_weight)
        assert torch.equal(raw(inp), base_only)


def test_leading_shape():
    torch.manual_seed(4)
    layer = KAN([7, 5, 6])
    x = torch.randn(2, 5, 7, 7)
    y = layer(x)
    assert y.shape == (2, 5, 7, 6)
    torch.testing.assert_close(y, layer(x.reshape(-1, 7)).reshape(2, 5, 7, 6))
    assert layer.layers[0].b_spline_bases(x).shape == (2, 5, 7, 7, 8)


def test_invalid_spline_input():
    with pytest.raises(ValueError):
        KANLinear(2, 2, spline_input='clamp')


def test_cubic_pieces_are_the_textbook_polynomials():
    f = torch.linspace(0, 1, 11, dtype=torch.float64)[:-1]
    # on interval 3 (u = 3 + f) the non-zero cubic bases are 0..3
    got = uniform_bspline_bases((3 + f).view(-1, 1), cardinal_terms(3), 8)[:, 0, :4]
    want = torch.stack([(1 - f) ** 3 / 6, (3 * f ** 3 - 6 * f ** 2 + 4) / 6,
                        (-3 * f ** 3 + 3 * f ** 2 + 3 * f + 1) / 6, f ** 3 / 6], -1)
    assert (got - want).abs().max() < 1e-15


def test_order_zero_is_refused():
    with pytest.raises(ValueError, match='spline_order must be at least 1'):
        KANLinear(2, 2, spline_order=0)


@pytest.mark.parametrize('spline_order', [1, 2, 4, 5])
def test_closed_form_any_order_matches_scipy_outside_the_grid_too(spline_order):
    layer = KANLinear(3, 2, grid_size=4, spline_order=spline_order, spline_input='identity').double()
    knots = layer.grid.numpy()
    x = torch.empty(200, 3, dtype=torch.float64).uniform_(knots[0] - 1.0, knots[-1] + 1.0)
    x[0] = torch.tensor(knots[:3])  # exactly on knots
    got = layer.b_spline_bases(x)
    want = ref_bases(x.numpy(), 4, spline_order, layer.grid_range)
    assert np.abs(got.numpy() - want).max() < TOL
    assert (got - cox_de_boor_bases(x, layer.grid, spline_order)).abs().max() < TOL


@pytest.mark.parametrize('spline_input', ['identity', 'tanh'])
@pytest.mark.parametrize('grid_size,spline_order', [(5, 3), (7, 2)])
@pytest.mark.parametrize('chunk_rows', [None, 7])  # None: one chunk; 7: 18 chunks, the last of 1 row
def test_fused_gradients_match_cox_de_boor(spline_input, grid_size, spline_order, chunk_rows, monkeypatch):
    torch.manual_seed(5)
    layer = KANLinear(6, 4, grid_size, spline_order, spline_input=spline_input).double()
    if chunk_rows:  # a table row holds 6 inputs x n_bases float64 values
        monkeypatch.setattr(bspline, 'TABLE_BYTES', chunk_rows * 6 * (grid_size + spline_order) * 8)
    # inside the grid, on the extension knots and beyond the extended grid ([-2.2, 2.2] for (5, 3))
    x = torch.empty(3, 40, 6, dtype=torch.float64).uniform_(-4.0, 4.0).requires_grad_()
    grad_y = torch.randn(3, 40, 4, dtype=torch.float64)
    params = (x, layer.base_weight, layer.spline_weight, layer.spline_scaler)
    fused = torch.autograd.grad(layer(x), params, grad_y)
    reference = torch.autograd.grad(layer.reference_forward(x), params, grad_y)
    assert (layer(x) - layer.reference_forward(x)).abs().max() < TOL
    for got, want in zip(fused, reference):
        assert (got - want).abs().max() < TOL


@pytest.mark.parametrize('spline_input', ['identity', 'tanh'])
def test_spline_linear_gradcheck_beyond_the_grid(spline_input):
    torch.manual_seed(6)
    layer = KANLinear(3, 2, spline_input=spline_input).double()
    x = torch.empty(7, 3, dtype=torch.float64).uniform_(-3.0, 3.0).requires_grad_()
    weight = torch.randn(2, 3, 8, dtype=torch.float64, requires_grad=True)
    scale, offset = layer.positions(squashed=spline_input == 'tanh')

    def spline(x, weight):
        return SplineLinear.apply(x, weight, layer.spline, scale, offset, spline_input == 'tanh')

    assert torch.autograd.gradcheck(spline, (x, weight))


def test_forward_saves_the_input_not_the_bases():
    torch.manual_seed(7)
    layer = KANLinear(96, 12)
    x = torch.randn(100, 96, requires_grad=True)
    per_token = {}

    def keep(tensor):
        if tensor.shape[:1] == (100,):  # activations; weights and coefficients have other shapes
            per_token[tensor.data_ptr()] = tensor.numel()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(keep, lambda tensor: tensor):
        layer(x).sum().backward()
    # x (kept by SplineLinear and SiLU) and SiLU(x) (by the base matmul); the bases would add
    # 100 * 96 * 8 elements each, and the Cox-de Boor recursion keeps dozens of such tensors
    assert sum(per_token.values()) == 2 * x.numel()


def test_state_dict_keys_unchanged_and_foreign_grid_refused():
    layer = KANLinear(4, 3)
    assert set(layer.state_dict()) == {'base_weight', 'spline_weight', 'spline_scaler', 'grid'}
    KANLinear(4, 3).load_state_dict(layer.state_dict())
    other = KANLinear(4, 3, grid_range=(-2.0, 2.0))
    with pytest.raises(RuntimeError, match=r"grid: the checkpoint's knots .* grid_range=\(-2.0, 2.0\)"):
        other.load_state_dict(layer.state_dict())


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_low_precision_inputs_use_float32_bases(dtype):
    torch.manual_seed(8)
    layer = KANLinear(8, 5)
    x = torch.randn(30, 8).to(dtype)
    weight = layer.scaled_spline_weight().detach()
    scale, offset = layer.positions(squashed=True)
    got = SplineLinear.apply(x, weight, layer.spline, scale, offset, True)
    want = SplineLinear.apply(x.float(), weight, layer.spline, scale, offset, True)
    assert got.dtype == dtype
    torch.testing.assert_close(got, want.to(dtype), rtol=0, atol=0)


def test_autocast_bfloat16_forward_and_backward():
    torch.manual_seed(9)
    layer = KAN([8, 4, 8])
    x = torch.randn(30, 8, requires_grad=True)
    want = layer(x)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        got = layer(x)
    assert got.dtype == torch.bfloat16
    torch.testing.assert_close(got.float(), want, rtol=0.05, atol=0.05)
    got.float().sum().backward()
    assert all(p.grad is not None and p.grad.dtype == torch.float32 and p.grad.isfinite().all()
               for p in layer.parameters())


@pytest.mark.parametrize('dtype', [torch.float64, torch.float32, torch.float16])
def test_autocast_output_dtype_is_a_matmuls(dtype):
    torch.manual_seed(11)
    layer = KANLinear(8, 5).to(dtype)
    x = torch.randn(30, 8, dtype=dtype)
    weight = layer.scaled_spline_weight().detach()
    scale, offset = layer.positions(squashed=True)
    want = SplineLinear.apply(x, weight, layer.spline, scale, offset, True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        got = SplineLinear.apply(x, weight, layer.spline, scale, offset, True)
        matmul_dtype = (x @ x.T).dtype
    assert got.dtype == matmul_dtype == (dtype if dtype == torch.float64 else torch.bfloat16)
    if dtype == torch.float64:
        torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_double_backward_is_refused():
    layer = KANLinear(3, 2)
    x = torch.randn(7, 3, requires_grad=True)
    (grad_x,) = torch.autograd.grad(layer(x).square().sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match='once_differentiable'):
        grad_x.sum().backward()


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
def test_cuda_matches_cpu():
    torch.manual_seed(10)
    layer = KAN([8, 4, 8])
    x = torch.randn(30, 8)
    want = layer(x)
    torch.testing.assert_close(layer.cuda()(x.cuda()).cpu(), want, rtol=1e-5, atol=1e-5)
    with torch.autocast('cuda', dtype=torch.bfloat16):
        assert layer(x.cuda()).dtype == torch.bfloat16


def test_torch_compile_matches_eager():
    torch.manual_seed(11)
    layer = KANLinear(6, 3)
    x = torch.randn(20, 6, requires_grad=True)
    compiled = torch.compile(layer, fullgraph=True)  # fails on any graph break
    got = compiled(x)
    got.sum().backward()
    grads = [p.grad.clone() for p in layer.parameters()] + [x.grad.clone()]
    layer.zero_grad()
    x.grad = None
    want = layer(x)
    want.sum().backward()
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    for g, p in zip(grads, list(layer.parameters()) + [x]):
        torch.testing.assert_close(g, p.grad, rtol=1e-5, atol=1e-5)
