"""How far the Triton KAN layer is from the float64 Cox-de Boor reference: outputs and every gradient.

Shared by the tests (in Triton's interpreter on CPU) and ``tools/analysis/gpu_report.py`` (compiled,
on the GPU). Tolerances, relative to the largest reference value: float32 1e-5, float16 2e-3 and
bfloat16 1e-2 (measured errors: docs/performance.md); low-precision inputs are compared with the
reference of the same rounded inputs, so only the rounding of the results remains (2^-11 and 2^-8).
"""
from dataclasses import dataclass, field
from typing import List, Tuple

import torch
from torch import nn

from ..models.peft import KANLinear

TOLERANCE = {torch.float32: 1e-5, torch.float16: 2e-3, torch.bfloat16: 1e-2}
QUANTITIES = ('output', 'x', 'base_weight', 'spline_weight', 'spline_scaler')


@dataclass
class Case:
    """A layer ``KANLinear(n_in, n_out, **options)`` on ``rows`` inputs of ``dtype`` laid out as ``layout``:
    ``contiguous``, ``transposed`` (column-major), ``strided`` (every other column) or ``leading-axes``
    (``(2, rows, n_in)``, not contiguous)."""
    name: str
    n_in: int
    n_out: int
    rows: int
    options: dict = field(default_factory=dict)
    dtype: torch.dtype = torch.float32
    layout: str = 'contiguous'


CASES = tuple(
    [Case(f'order {order}, {mode}', 7, 5, 37, dict(grid_size=4, spline_order=order, spline_input=mode))
     for order in range(1, 6) for mode in ('tanh', 'identity')]
    + [Case('LoKi 96->12, 197 rows', 96, 12, 197), Case('LoKi 12->96, 1 row', 12, 96, 1),
       Case('KAN adapter 768->11', 768, 11, 3), Case('KAN adapter 11->768', 11, 768, 2),
       Case('tiny 64->8, grid 9, 70 rows', 64, 8, 70, dict(grid_size=9)),
       Case('12->8, 1,579 rows: 4 weight-gradient splits', 12, 8, 1579)]
    + [Case(f'{layout} input', 6, 9, 30, layout=layout) for layout in ('transposed', 'strided', 'leading-axes')]
    + [Case(f'{str(dtype)[6:]} input', 20, 6, 50, dtype=dtype) for dtype in (torch.float16, torch.bfloat16)])


def layer_pair(case: Case, device: str, seed: int = 0) -> Tuple[nn.Module, nn.Module]:
    """A Triton layer on ``device`` and its float64 copy on the closed form, with the same random weights
    (random spline weights: the default initialisation makes the spline term tiny)."""
    torch.manual_seed(seed)
    reference = KANLinear(case.n_in, case.n_out, kan_backend='torch', **case.options).double()
    with torch.no_grad():
        reference.spline_weight.normal_()
    fused = KANLinear(case.n_in, case.n_out, kan_backend='triton', **case.options).to(device)
    fused.load_state_dict(reference.state_dict())
    return fused, reference


def case_inputs(case: Case, device: str, seed: int = 1) -> Tuple[torch.Tensor, torch.Tensor]:
    """``2 * N(0, 1)`` inputs (inside the grid, on the extension knots and beyond it) in ``case.layout``:
    the Triton layer's (``case.dtype`` on ``device``) and the reference's (the same rounded values in float64)."""
    generator = torch.Generator().manual_seed(seed)
    n, i = case.rows, case.n_in
    shapes = dict(contiguous=(n, i), transposed=(i, n), strided=(n, 2 * i), **{'leading-axes': (2, i, n)})
    views = dict(contiguous=lambda t: t, transposed=lambda t: t.T, strided=lambda t: t[:, ::2],
                 **{'leading-axes': lambda t: t.transpose(1, 2)})
    storage = (2 * torch.randn(shapes[case.layout], generator=generator)).to(case.dtype)
    view = views[case.layout]
    return view(storage.to(device)).requires_grad_(), view(storage.double()).requires_grad_()


def case_errors(case: Case, device: str) -> List[dict]:
    """``[{quantity, error, bound}]`` for the output and the gradients of x and of the three weights."""
    fused, reference = layer_pair(case, device)
    x_fused, x_reference = case_inputs(case, device)
    y = fused(x_fused)
    want = reference.reference_forward(x_reference)
    if y.dtype != case.dtype or y.shape != want.shape:
        raise AssertionError(f'{case.name}: output {y.dtype} {tuple(y.shape)}, want {case.dtype} {tuple(want.shape)}')
    grad_y = torch.randn(want.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    weights = QUANTITIES[2:]
    got = torch.autograd.grad(y, [x_fused] + [getattr(fused, w) for w in weights], grad_y.to(device, case.dtype))
    wanted = torch.autograd.grad(want, [x_reference] + [getattr(reference, w) for w in weights], grad_y)
    dtypes = [case.dtype] + [torch.float32] * len(weights)
    if [g.dtype for g in got] != dtypes:
        raise AssertionError(f'{case.name}: gradient dtypes {[g.dtype for g in got]}, want {dtypes}')
    return [dict(quantity=quantity, error=(value.detach().double().cpu() - expected).abs().max().item(),
                 bound=TOLERANCE[case.dtype] * expected.abs().max().item() + 1e-12)
            for quantity, value, expected in zip(QUANTITIES, (y, *got), (want, *wanted))]


def weight_gradients_repeat(device: str, rows: int = 1100) -> bool:
    """Whether two backward passes of a 12->8 layer on ``rows`` rows (1,100: 3 splits of the weight-gradient
    reduction) give bitwise equal gradients."""
    fused, _ = layer_pair(Case('determinism', 12, 8, rows), device)
    x = torch.randn(rows, 12, device=device, requires_grad=True)
    grads = [torch.autograd.grad(fused(x).square().sum(), list(fused.parameters()) + [x]) for _ in range(2)]
    return all(torch.equal(a, b) for a, b in zip(*grads))
