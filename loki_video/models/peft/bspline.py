"""B-spline bases on a uniform grid in closed form, and the fused spline term of a KAN layer.

On a uniform grid every basis is a shifted copy of one function, the cardinal B-spline ``M_k``
of order ``k`` (support ``[0, k + 1)`` in grid units). ``M_k`` is symmetric about its centre
``(k + 1) / 2`` and, with ``s`` the distance from the centre, a short sum of truncated powers::

    M_k = sum_l a_l (c_l - s)_+^k,   a_l = (-1)^l C(k + 1, l) / k!,   c_l = (k + 1) / 2 - l

over ``l < (k + 1) / 2`` (cubic: ``((2 - s)_+^3 - 4 (1 - s)_+^3) / 6``). Inside one grid
interval this is the familiar polynomial piece (cubic: ``(1 - f)^3 / 6``, ...), and it is zero
outside the support by itself, so all bases of all inputs come out of a few elementwise ops on
one ``(N, n_bases, I)`` tensor: no recursion, no indices, nothing to mask. Positions ``u`` are
measured in grid units from the first knot; basis ``j`` is ``M_k(u - j)``. :func:`cardinal_terms`
gives ``(a_l, c_l)`` once per order.

:class:`SplineLinear` is the spline term of a KAN layer as one autograd function: it saves only
its input and weight and recomputes the bases, and their derivative, in backward, so autograd
keeps no ``(tokens, in, n_bases)`` tensor between forward and backward. Each pass walks the
tokens in chunks whose tables fit in about half a MiB (:func:`_row_chunks`), so that the
temporaries are reused rather than freshly page-faulted. Written with plain tensor ops, so
``torch.compile`` fuses each pass into one loop.
"""
import math
from typing import Any, NamedTuple, Tuple

import torch
from torch.autograd.function import once_differentiable

from loki_video.user_error import UserValueError

__all__ = ['CardinalTerms', 'SplineLinear', 'cardinal_terms', 'cox_de_boor_bases', 'uniform_bspline_bases']


class CardinalTerms(NamedTuple):
    """``M_order(centre + s) = sum_l coefficient_l (reach_l - |s|)_+^order``."""
    order: int
    centre: float
    terms: Tuple[Tuple[float, float], ...]  # (coefficient_l, reach_l)


def cardinal_terms(order: int) -> CardinalTerms:
    """The truncated-power terms of the order-``order`` cardinal B-spline (module docstring)."""
    if order < 1:
        raise UserValueError(f'spline_order must be at least 1, got {order}: piecewise-constant '
                             'splines have no derivative to train the input side with')
    half = (order + 1) / 2
    return CardinalTerms(order, half, tuple(
        ((-1) ** k * math.comb(order + 1, k) / math.factorial(order), half - k)
        for k in range(math.ceil(half))))


def cox_de_boor_bases(x: torch.Tensor, knots: torch.Tensor, order: int) -> torch.Tensor:
    """Reference evaluation by the Cox-de Boor recursion: ``x (...)`` -> ``(..., len(knots) - order - 1)``.

    About ``3 k^2`` elementwise ops on ``(..., n_bases)`` tensors, each kept by autograd; the
    baseline that tests and ``tools/analysis/benchmark.py --kan`` compare the closed form with.
    """
    g = knots.to(x.dtype)
    x = x.unsqueeze(-1)
    bases = ((x >= g[:-1]) & (x < g[1:])).to(x.dtype)
    for p in range(1, order + 1):
        bases = (x - g[: -(p + 1)]) / (g[p:-1] - g[: -(p + 1)]) * bases[..., :-1] + (
            g[p + 1:] - x) / (g[p + 1:] - g[1:-p]) * bases[..., 1:]
    return bases


def _power_sum(distance, spline, power, factor):
    """``sum_l factor * a_l * (c_l - distance)_+^power`` over the terms; overwrites ``distance``.

    In place where it can: the first term becomes the sum, the last is computed in ``distance``,
    so two ``distance``-sized tensors are live (three for orders above 4).
    """
    total = None
    for index, (coefficient, reach) in enumerate(spline.terms):
        term = distance.neg_() if index == len(spline.terms) - 1 else torch.neg(distance)
        term = term.add_(reach).clamp_(min=0)
        term = term.pow_(power) if power > 0 else term.sign_()  # power 0: the step (c - s > 0)
        if total is None:
            total = term.mul_(factor * coefficient)
        else:
            total.add_(term, alpha=factor * coefficient)
    return total


def _offsets(u, spline, n_bases):
    """``u - centre_j`` for every basis ``j``: ``u (N, I) -> (N, n_bases, I)``."""
    centres = torch.arange(n_bases, dtype=u.dtype, device=u.device).view(1, -1, 1) + spline.centre
    return u.unsqueeze(1) - centres


def _bases(u, spline, n_bases):
    """Bases at positions ``u (N, I)``: ``(N, n_bases, I)``."""
    return _power_sum(_offsets(u, spline, n_bases).abs_(), spline, spline.order, 1.0)


def _slopes(u, spline, n_bases):
    """Derivatives of the bases in ``u``: ``(N, n_bases, I)``; ``d/ds a (c - s)^k = -k a (c - s)^(k-1)``
    and ``ds/du = sign(u - centre)``."""
    offsets = _offsets(u, spline, n_bases)
    side = offsets.sign()
    return _power_sum(offsets.abs_(), spline, spline.order - 1, -spline.order).mul_(side)


TABLE_BYTES = 1 << 19  # per (rows, n_bases, I) table (the measurement: docs/performance.md)


def _row_chunks(u, n_bases):
    """Row slices of ``u (N, I)`` whose ``(rows, n_bases, I)`` tables hold about :data:`TABLE_BYTES`.

    On CPU, small tables are reused from the allocator's free lists, where large ones get fresh
    pages, and a page fault per 4 KiB costs more than the arithmetic on it. One slice on GPUs
    (the caching allocator reuses blocks; more slices would only add kernel launches), under
    ``torch.compile`` (which fuses the whole table into one loop) and ``torch.export`` (the row count
    stays symbolic, e.g. a dynamic batch in ONNX).
    """
    if u.device.type != 'cpu' or torch.compiler.is_compiling() or torch.compiler.is_exporting():
        return [slice(None)]
    rows = max(1, TABLE_BYTES // (n_bases * u.shape[1] * u.element_size()))
    return [slice(start, start + rows) for start in range(0, u.shape[0], rows)]


def uniform_bspline_bases(u: torch.Tensor, spline: CardinalTerms, n_bases: int) -> torch.Tensor:
    """All ``n_bases`` bases at positions ``u (..., I)`` in grid units: ``(..., I, n_bases)``.

    ``spline`` from :func:`cardinal_terms`. Bases vanish for ``u`` outside ``[0, n_bases + k)``,
    as the Cox-de Boor recursion's do.
    """
    bases = _bases(u.reshape(-1, u.shape[-1]), spline, n_bases)
    return bases.transpose(1, 2).reshape(*u.shape, n_bases)


class SplineLinear(torch.autograd.Function):
    """``y[n, o] = sum_ij B_j(u(x[n, i])) weight[o, i, j]``: ``x (N, I) -> (N, O)``.

    ``weight (O, I, n_bases)``; ``u(x) = offset + scale * x``, or ``offset + scale * tanh(x)``
    with ``squash``; ``spline`` from :func:`cardinal_terms`. Bases, their derivatives and the
    products run in float32 at least, also for float16/bfloat16 inputs and under autocast; the
    output has the dtype of ``x``, or the autocast dtype as a matmul's under autocast (float64
    stays float64, as autocast leaves it). Saves ``x`` and ``weight`` only: the bases are
    recomputed in backward, which is not itself differentiable (double backward raises).
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor, spline: CardinalTerms, scale: float, offset: float,
                squash: bool) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        ctx.geometry = (spline, scale, offset, squash)
        device = x.device.type
        autocast = torch.is_autocast_enabled(device) and x.dtype != torch.float64
        out_dtype = torch.get_autocast_dtype(device) if autocast else x.dtype
        dtype = torch.promote_types(x.dtype, torch.float32)
        n_bases = weight.shape[-1]
        with torch.autocast(device, enabled=False):
            t = x.to(dtype)
            u = (torch.tanh(t) if squash else t).mul(scale).add_(offset)
            # (rows, n_bases * I) @ (n_bases * I, O): the weight in the layout of the bases
            w = weight.to(dtype).transpose(1, 2).flatten(1)
            y = u.new_empty(x.shape[0], w.shape[0])
            for rows in _row_chunks(u, n_bases):
                torch.mm(_bases(u[rows], spline, n_bases).flatten(1), w.T, out=y[rows])
        return y.to(out_dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_y: torch.Tensor) -> tuple:
        x, weight = ctx.saved_tensors
        spline, scale, offset, squash = ctx.geometry
        n_bases = weight.shape[-1]
        dtype = torch.promote_types(x.dtype, torch.float32)
        grad_x = grad_weight = None
        with torch.autocast(x.device.type, enabled=False):
            t = x.to(dtype)
            if squash:
                t = torch.tanh(t)
            u = t.mul(scale).add_(offset)
            grad_y = grad_y.to(dtype)
            w = weight.to(dtype).transpose(1, 2).flatten(1)            # (O, n_bases * I)
            grad_w = u.new_zeros(w.shape) if ctx.needs_input_grad[1] else None
            grad_u = u.new_empty(u.shape) if ctx.needs_input_grad[0] else None
            for rows in _row_chunks(u, n_bases):
                # one table-sized result at a time: the bases for the weight, then the slopes for x
                if grad_w is not None:
                    grad_w.addmm_(grad_y[rows].T, _bases(u[rows], spline, n_bases).flatten(1))
                if grad_u is not None:
                    slopes = _slopes(u[rows], spline, n_bases)
                    torch.sum((grad_y[rows] @ w).view_as(slopes).mul_(slopes), 1, out=grad_u[rows])
            if grad_w is not None:
                grad_weight = grad_w.view(-1, n_bases, x.shape[1]).transpose(1, 2).to(weight.dtype)
            if grad_u is not None:
                grad_x = grad_u.mul_((1 - t * t).mul_(scale) if squash else scale).to(x.dtype)
        return grad_x, grad_weight, None, None, None, None
