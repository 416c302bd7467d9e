"""Tests for loki_video.models.peft.kan against an independent scipy float64 reference."""

import numpy as np
import pytest
import torch
from scipy.interpolate import BSpline

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
    "grid_size,spline_order,grid_range",
    [(5, 3, (-1.0, 1.0)), (8, 2, (-2.0, 1.0)), (3, 1, (0.0, 4.0))],
)
def test_bases_match_scipy(grid_size, spline_order, grid_range):
    torch.manual_seed(0)
    layer = KANLinear(4, 2, grid_size, spline_order, grid_range, spline_input="identity").double()
    lo, hi = grid_range
    x = torch.empty(64, 4, dtype=torch.float64).uniform_(lo, hi)
    got = layer.b_spline_bases(x)
    assert got.shape == (64, 4, grid_size + spline_order)
    want = ref_bases(x.numpy(), grid_size, spline_order, grid_range)
    assert np.abs(got.numpy() - want).max() < TOL
    # inside the grid range the bases form a partition of unity
    np.testing.assert_allclose(got.sum(-1).numpy(), 1.0, atol=1e-12)


@pytest.mark.parametrize("spline_input", ["identity", "tanh"])
@pytest.mark.parametrize("grid_range", [(-1.0, 1.0), (-2.0, 1.0)])
def test_layer_matches_reference(spline_input, grid_range):
    torch.manual_seed(1)
    layer = KANLinear(6, 3, grid_range=grid_range, spline_input=spline_input).double()
    # covers the grid range, the extension knots and beyond (where raw bases vanish)
    x = torch.empty(64, 6, dtype=torch.float64).uniform_(-4.0, 4.0)
    got = layer(x).detach().numpy()
    want = ref_layer(layer, x.numpy(), squash=spline_input == "tanh")
    assert np.abs(got - want).max() < TOL


@pytest.mark.parametrize("spline_input", ["identity", "tanh"])
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
    "d_in,d_out,grid_size,spline_order",
    [(1, 1, 5, 3), (7, 3, 5, 3), (16, 9, 4, 2), (5, 12, 10, 1)],
)
def test_parameter_count(d_in, d_out, grid_size, spline_order):
    layer = KANLinear(d_in, d_out, grid_size, spline_order)
    n = sum(p.numel() for p in layer.parameters())
    assert n == (grid_size + spline_order + 2) * d_in * d_out
    assert all(p.requires_grad for p in layer.parameters())
    assert "grid" not in dict(layer.named_parameters())
    assert "grid" in dict(layer.named_buffers()) and "grid" in layer.state_dict()
    assert layer.grid.numel() == grid_size + 2 * spline_order + 1


def test_kan_loki_parameter_count():
    kan = KAN([768, 11, 768])
    assert sum(p.numel() for p in kan.parameters()) == 168_960
    assert len(kan.layers) == 2 and all(isinstance(m, KANLinear) for m in kan.layers)
    assert kan(torch.randn(3, 768)).shape == (3, 768)


@pytest.mark.parametrize("x", [5.0, -7.0, 50.0, -50.0])
def test_out_of_grid_inputs(x):
    torch.manual_seed(3)
    inp = torch.full((2, 4), x)
    # default: tanh squashing keeps the spline branch alive for any magnitude
    layer = KANLinear(4, 3)
    layer(inp).sum().backward()
    assert (layer.spline_weight.grad.abs().sum(-1) > 0).all()
    assert (layer.spline_scaler.grad != 0).all()
    # raw textbook layer: bases vanish outside the extended grid, spline term is exactly zero
    raw = KANLinear(4, 3, spline_input="identity")
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
        KANLinear(2, 2, spline_input="clamp")
