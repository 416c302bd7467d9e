"""Kolmogorov-Arnold Network layers (efficient-kan style).

``KANLinear`` computes, for ``x`` of shape ``(..., in)``::

    y = act(x) @ base_weight.T
        + B(s(x)).flatten(-2) @ (spline_weight * spline_scaler[..., None]).flatten(1).T

where ``B`` are the order-``spline_order`` B-spline bases on a uniform grid over ``grid_range``
extended by ``spline_order`` knots on each side (``grid_size + spline_order`` bases per input
feature). The bases are evaluated in closed form (the grid is uniform, see ``bspline.py``) and the
spline term is one autograd function (``bspline.SplineLinear``): a single matmul over the flattened
``in * n_bases`` axis that saves only its input and recomputes the bases in backward, so neither a
``(batch, out, in)`` tensor is built nor a ``(batch, in, n_bases)`` tensor kept for backward.
``spline_order`` must be at least 1.

Out-of-grid inputs: B-spline bases vanish outside the extended grid, and ViT activations are often
far outside ``[-1, 1]``, so the textbook layer's spline term silently drops to zero there. By
default (``spline_input="tanh"``) the spline branch therefore sees
``s(x) = lo + (hi - lo) * (tanh(x) + 1) / 2``, which maps R onto ``grid_range = (lo, hi)`` where the
bases form a partition of unity. This is parameter-free, keeps the parameter count exact and leaves
the base branch on the raw ``x``. ``spline_input="identity"`` gives the raw textbook layer
(``s(x) = x``).

Backends (``kan_backend``): ``"torch"`` is the closed form above; ``"triton"`` computes base and
spline terms in fused Triton kernels (``kan_kernels.py``, one custom op: ``kan_op.py``) that never
write the bases to memory; ``"auto"`` (default) takes Triton for CUDA tensors of 16 or 32 bits where
Triton is installed (SiLU base activation, ``spline_order <= 5``), and the closed form otherwise.
Both compute in float32 and give the same parameters, state-dict keys and output dtypes.
"""
import importlib.util
import math
from typing import Any, Sequence, Tuple, Type

import torch
import torch.nn.functional as F
from torch import nn

from loki_video.user_error import UserValueError

from .bspline import SplineLinear, cardinal_terms, cox_de_boor_bases, uniform_bspline_bases

__all__ = ['KAN', 'KANLinear']

KAN_BACKENDS = ('auto', 'triton', 'torch')
TRITON_MAX_ORDER = 5  # kan_kernels.MAX_TERMS truncated-power terms
TRITON_INSTALLED = importlib.util.find_spec('triton') is not None


def _fused_kan_linear():
    """``kan_op.fused_kan_linear``, imported (with Triton) when a layer first runs on Triton."""
    from .kan_op import fused_kan_linear
    return fused_kan_linear


class KANLinear(nn.Module):
    """KAN layer ``(..., in_features) -> (..., out_features)`` without bias.

    Parameters (all trainable): ``base_weight (out, in)``, ``spline_weight (out, in, n_bases)``
    and ``spline_scaler (out, in)`` with ``n_bases = grid_size + spline_order``, i.e.
    ``(grid_size + spline_order + 2) * in * out`` in total. The knot vector ``grid``
    ``(grid_size + 2 * spline_order + 1,)`` is a persistent buffer, not a parameter (float64); a
    checkpoint whose grid differs from the one the arguments build is refused on loading.

    Args:
        in_features (int): input width.
        out_features (int): output width.
        grid_size (int): number of grid intervals inside ``grid_range``. Defaults to 5.
        spline_order (int): B-spline order ``k`` (piecewise polynomials of degree ``k``). Defaults to 3.
        grid_range (Tuple[float, float]): ``(lo, hi)`` of the uniform grid before extension.
            Defaults to ``(-1.0, 1.0)``.
        base_activation (Type[nn.Module]): activation class of the base branch. Defaults to ``nn.SiLU``.
        spline_input (str): ``"tanh"`` (squash inputs of the spline branch into ``grid_range``) or
            ``"identity"`` (raw inputs; the spline term is zero outside the extended grid). Defaults to ``'tanh'``.
        kan_backend (str): ``"auto"``, ``"triton"`` or ``"torch"`` (module docstring). ``"triton"`` needs
            the SiLU base activation, ``spline_order <= 5``, and CUDA tensors unless
            ``TRITON_INTERPRET=1`` is set; ``"auto"`` takes the closed form where these do not hold.
            Defaults to ``'auto'``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        grid_size: int = 5,
        spline_order: int = 3,
        grid_range: Tuple[float, float] = (-1.0, 1.0),
        base_activation: Type[nn.Module] = nn.SiLU,
        spline_input: str = 'tanh',
        kan_backend: str = 'auto',
    ) -> None:
        super().__init__()
        if spline_input not in ('tanh', 'identity'):
            raise UserValueError(f"spline_input must be 'tanh' or 'identity', got {spline_input!r}")
        if kan_backend not in KAN_BACKENDS:
            raise UserValueError(f'kan_backend must be one of {KAN_BACKENDS}, got {kan_backend!r}')
        if kan_backend == 'triton' and base_activation is not nn.SiLU:
            raise UserValueError(f"kan_backend='triton' fuses the SiLU base activation, got "
                                 f"{base_activation.__name__}; "
                                 "use kan_backend='torch' or 'auto' for other activations")
        if kan_backend == 'triton' and spline_order > TRITON_MAX_ORDER:
            raise UserValueError(f"kan_backend='triton' takes spline_order up to {TRITON_MAX_ORDER}, got "
                                 f"{spline_order}; "
                                 "use kan_backend='torch' or 'auto' for higher orders")
        self.in_features = in_features
        self.out_features = out_features
        self.grid_size = grid_size
        self.spline_order = spline_order
        self.grid_range = (float(grid_range[0]), float(grid_range[1]))
        self.spline_input = spline_input
        self.kan_backend = kan_backend
        self.fusable = base_activation is nn.SiLU and spline_order <= TRITON_MAX_ORDER
        h = (self.grid_range[1] - self.grid_range[0]) / grid_size
        grid = torch.arange(-spline_order, grid_size + spline_order + 1, dtype=torch.float64)
        grid = grid * h + self.grid_range[0]
        self.register_buffer('grid', grid, persistent=True)
        self.spline = cardinal_terms(spline_order)
        n_bases = grid_size + spline_order
        self.base_weight = nn.Parameter(torch.empty(out_features, in_features))
        self.spline_weight = nn.Parameter(torch.empty(out_features, in_features, n_bases))
        self.spline_scaler = nn.Parameter(torch.empty(out_features, in_features))
        self.base_activation = base_activation()
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``base_weight`` and ``spline_scaler``: kaiming-uniform with ``a = sqrt(5)`` (the
        ``nn.Linear`` default, i.e. ``U(+-1/sqrt(in))``); ``spline_weight``: ``U(+-0.1/grid_size)``
        noise, so the spline branch starts as a small perturbation of the base branch."""
        nn.init.kaiming_uniform_(self.base_weight, a=math.sqrt(5))
        nn.init.kaiming_uniform_(self.spline_scaler, a=math.sqrt(5))
        nn.init.uniform_(self.spline_weight, -0.1 / self.grid_size, 0.1 / self.grid_size)

    def positions(self, squashed: bool) -> Tuple[float, float]:
        """``(scale, offset)`` with ``u = offset + scale * tanh(x)`` (``squashed``) or
        ``offset + scale * x``: the position of the spline input in grid units from the first knot."""
        lo, hi = self.grid_range
        h = (hi - lo) / self.grid_size
        if squashed:  # s = lo + (hi - lo) (tanh(x) + 1) / 2, u = (s - lo) / h + k
            return self.grid_size / 2, self.spline_order + self.grid_size / 2
        return 1 / h, self.spline_order - lo / h

    def b_spline_bases(self, x: torch.Tensor) -> torch.Tensor:
        """B-spline bases of the raw ``x`` (no squashing), in closed form.

        Args:
            x (torch.Tensor): ``(..., in_features)``.

        Returns:
            ``(..., in_features, grid_size + spline_order)``; zero outside the extended grid.
        """
        scale, offset = self.positions(squashed=False)
        return uniform_bspline_bases(offset + scale * x, self.spline, self.grid_size + self.spline_order)

    def scaled_spline_weight(self) -> torch.Tensor:
        """``spline_weight * spline_scaler``: ``(out, in, n_bases)``."""
        return self.spline_weight * self.spline_scaler.unsqueeze(-1)

    def runs_triton(self, x: torch.Tensor) -> bool:
        """Whether :meth:`forward` takes the Triton kernels for ``x`` (see ``kan_backend``)."""
        if self.kan_backend == 'torch':
            return False
        supported_dtype = x.dtype in (torch.float32, torch.float16, torch.bfloat16)
        if self.kan_backend == 'auto':
            return x.is_cuda and supported_dtype and self.fusable and TRITON_INSTALLED
        if not TRITON_INSTALLED:
            raise ImportError("kan_backend='triton' needs Triton, which comes with PyTorch's CUDA wheels "
                              "(or: pip install triton); use kan_backend='auto' or 'torch' without it")
        if not supported_dtype:
            raise TypeError(f"kan_backend='triton' computes in float32 and takes float32, float16 or bfloat16 "
                            f"inputs, got {x.dtype}; use kan_backend='torch' for {x.dtype}")
        return True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., in_features) -> (..., out_features)``."""
        squashed = self.spline_input == 'tanh'
        scale, offset = self.positions(squashed)
        if self.runs_triton(x):
            y = _fused_kan_linear()(x.reshape(-1, self.in_features), self.base_weight, self.spline_weight,
                                    self.spline_scaler, self.spline_order, scale, offset, squashed)
            return y.view(*x.shape[:-1], self.out_features)
        base = F.linear(self.base_activation(x), self.base_weight)
        spline = SplineLinear.apply(x.reshape(-1, self.in_features), self.scaled_spline_weight(), self.spline,
                                    scale, offset, squashed)
        return base + spline.view(*x.shape[:-1], self.out_features)

    def reference_forward(self, x: torch.Tensor) -> torch.Tensor:
        """:meth:`forward` as the textbook layer computes it: Cox-de Boor bases of the (squashed)
        input and plain autograd, which keeps every intermediate. The baseline of the tests and of
        ``tools/analysis/benchmark.py --kan``; ``(..., in_features) -> (..., out_features)``."""
        lo, hi = self.grid_range
        spline_x = lo + (hi - lo) * 0.5 * (torch.tanh(x) + 1.0) if self.spline_input == 'tanh' else x
        bases = cox_de_boor_bases(spline_x, self.grid, self.spline_order).flatten(-2)
        weight = self.scaled_spline_weight().flatten(1)
        return F.linear(self.base_activation(x), self.base_weight) + F.linear(bases, weight)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        """Refuse a checkpoint whose knot vector differs from the one this layer computes with."""
        error_msgs = args[-1]
        grid = state_dict.get(prefix + 'grid')
        if grid is not None and (grid.shape != self.grid.shape or not torch.allclose(
                grid.to(self.grid), self.grid, rtol=1e-9, atol=1e-12)):
            error_msgs.append(
                f"{prefix}grid: the checkpoint's knots {grid.tolist()} differ from "
                f"{self.grid.tolist()} (grid_size={self.grid_size}, spline_order={self.spline_order}, "
                f"grid_range={self.grid_range}); build the layer with the checkpoint's grid settings")
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def extra_repr(self) -> str:
        return (
            f'in_features={self.in_features}, out_features={self.out_features}, '
            f'grid_size={self.grid_size}, spline_order={self.spline_order}, '
            f'grid_range={self.grid_range}, spline_input={self.spline_input!r}, '
            f'kan_backend={self.kan_backend!r}'
        )


class KAN(nn.Module):
    """Stack of ``KANLinear(widths[i], widths[i + 1])``: ``(..., widths[0]) -> (..., widths[-1])``.

    Example: ``KAN([768, 11, 768])`` has ``2 * 10 * 768 * 11 = 168,960`` parameters with the
    default ``grid_size=5, spline_order=3``. Extra keyword arguments go to every ``KANLinear``.
    """

    def __init__(self, widths: Sequence[int], **kanlinear_kwargs: Any) -> None:
        super().__init__()
        if len(widths) < 2:
            raise UserValueError(f'KAN needs at least two widths, got {list(widths)}')
        self.layers = nn.ModuleList(
            KANLinear(i, o, **kanlinear_kwargs) for i, o in zip(widths[:-1], widths[1:])
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., widths[0]) -> (..., widths[-1])``."""
        for layer in self.layers:
            x = layer(x)
        return x
