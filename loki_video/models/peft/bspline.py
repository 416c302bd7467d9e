"""B-spline bases on a uniform grid in closed form, and the fused spline term of a KAN layer.

On a uniform grid every basis is a shifted copy of one piecewise polynomial (the cardinal
B-spline), so inside grid interval ``m`` the ``k + 1`` non-zero bases of order ``k`` are fixed
polynomials of the position ``f`` in ``[0, 1)`` inside that interval. For ``k = 3``::

    (1 - f)^3 / 6,  (3 f^3 - 6 f^2 + 4) / 6,  (-3 f^3 + 3 f^2 + 3 f + 1) / 6,  f^3 / 6

Positions are measured in grid units from the first knot: ``u = (x - knot_0) / h``; basis ``j``
is non-zero for ``u`` in ``[j, j + k + 1)``. :func:`piece_coefficients` derives these polynomials
once for any order; :func:`uniform_bspline_bases` evaluates them in a handful of tensor ops
instead of the ``O(k^2)`` ops of the Cox-de Boor recursion.

:class:`SplineLinear` is the spline term of a KAN layer as one autograd function: it saves only
its input and the weight, and recomputes the bases and their derivative in backward, so autograd
keeps no ``(tokens, in, n_bases)`` tensor alive between forward and backward.
"""
from fractions import Fraction

import torch
import torch.nn.functional as F

__all__ = ['SplineLinear', 'bspline_polynomials', 'cox_de_boor_bases', 'piece_coefficients',
           'uniform_bspline_bases']


def piece_coefficients(order: int) -> torch.Tensor:
    """Polynomial pieces of the order-``k`` uniform B-spline, ``(k + 1, k + 1)`` float64.

    Row ``r``, column ``d``: coefficient of ``f^d`` in basis ``m - k + r`` on grid interval ``m``
    (row 0: the basis whose support ends with this interval, row ``k``: the one starting here).
    Built exactly in rationals by the recursion on the pieces of the cardinal B-spline
    ``M_k(t) = t / k * M_{k-1}(t) + (k + 1 - t) / k * M_{k-1}(t - 1)``.
    """
    pieces = [[Fraction(1)]]  # M_0: one piece, the constant 1 on [0, 1)
    for k in range(1, order + 1):
        new = []
        for p in range(k + 1):  # piece p of M_k, as a polynomial in f = t - p
            poly = [Fraction(0)] * (k + 1)
            if p < k:  # (p + f) / k * piece p of M_{k-1}
                for d, c in enumerate(pieces[p]):
                    poly[d] += c * p / k
                    poly[d + 1] += c / k
            if p > 0:  # (k + 1 - p - f) / k * piece p - 1 of M_{k-1}
                for d, c in enumerate(pieces[p - 1]):
                    poly[d] += c * (k + 1 - p) / k
                    poly[d + 1] -= c / k
            new.append(poly)
        pieces = new
    # basis m - k + r sees interval m as its piece k - r
    return torch.tensor([[float(c) for c in pieces[order - r]] for r in range(order + 1)],
                        dtype=torch.float64)


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


def bspline_polynomials(order: int) -> torch.Tensor:
    """Values and slopes of the ``k + 1`` non-zero bases on a grid interval, ``(2k + 2, k + 1)``.

    Rows ``0..k``: :func:`piece_coefficients`; rows ``k+1..2k+1``: their derivatives with respect
    to the position ``f`` (coefficient of ``f^d`` in column ``d``).
    """
    values = piece_coefficients(order)
    slopes = torch.zeros_like(values)
    slopes[:, :-1] = values[:, 1:] * torch.arange(1, order + 1, dtype=values.dtype)
    return torch.cat([values, slopes])


def _local_bases(u, polynomials, n_bases, with_slopes=False):
    """The non-zero bases at positions ``u (N, I)`` (grid units from the first knot).

    Returns ``values (K, N, I)`` with ``K = k + 1`` (``(2K, N, I)``, slopes below the values, with
    ``with_slopes``) and ``column (K, N, I)``: where each value goes in a ``(N, n_bases + 2, I)``
    table whose columns ``1..n_bases`` are the bases and ``0``, ``n_bases + 1`` take the values of
    bases that do not exist (left and right of the extended grid), so no value needs masking.
    """
    order = polynomials.shape[1] - 1
    u = u.clamp(-1.0, n_bases + order)  # beyond the extended grid every value lands off the table
    interval = torch.floor(u)
    f = (u - interval).view(1, -1)
    rows = polynomials if with_slopes else polynomials[:order + 1]
    values = rows[:, order:order + 1].expand(-1, f.shape[1])  # Horner in f, all bases at once
    for d in range(order - 1, -1, -1):
        values = torch.addcmul(rows[:, d:d + 1], values, f)
    offsets = torch.arange(1 - order, 2, device=u.device).view(-1, 1, 1)
    column = (interval.long().unsqueeze(0) + offsets).clamp_(0, n_bases + 1)
    return values.reshape(-1, *u.shape), column


def _dense(values, column, n_bases):
    """Scatter ``values (K, N, I)`` into the ``(N, n_bases + 2, I)`` table of :func:`_local_bases`."""
    _, n, i = values.shape
    table = values.new_zeros(n, n_bases + 2, i)
    return table.scatter_add_(1, column.transpose(0, 1), values.transpose(0, 1))


def uniform_bspline_bases(u: torch.Tensor, polynomials: torch.Tensor, n_bases: int) -> torch.Tensor:
    """All ``n_bases`` bases at positions ``u (..., I)`` in grid units: ``(..., I, n_bases)``.

    ``polynomials`` from :func:`bspline_polynomials` in the dtype of ``u``. Bases vanish for
    ``u`` outside ``[0, n_bases + k)``, as the Cox-de Boor recursion's do.
    """
    flat = u.reshape(-1, u.shape[-1])
    values, column = _local_bases(flat, polynomials, n_bases)
    table = _dense(values, column, n_bases)[:, 1:-1]                  # (N, n_bases, I)
    return table.transpose(1, 2).reshape(*u.shape, n_bases)


def _padded(weight):
    """``(O, I, n_bases) -> (O, (n_bases + 2) * I)``: the layout of the table, zero off the grid."""
    return F.pad(weight, (1, 1)).transpose(1, 2).reshape(weight.shape[0], -1)


class SplineLinear(torch.autograd.Function):
    """``y[n, o] = sum_ij B_j(u(x[n, i])) weight[o, i, j]``: ``x (N, I) -> (N, O)``.

    ``weight (O, I, n_bases)``; ``u(x) = offset + scale * x``, or ``offset + scale * tanh(x)``
    with ``squash``. Bases, their derivatives and the products run in float32 at least, also
    for float16/bfloat16 inputs and under autocast; the output has the dtype of ``x``, or the
    autocast dtype as a matmul's under autocast. Saves
    ``x`` and ``weight`` only: the bases are recomputed in backward.
    """

    @staticmethod
    def forward(ctx, x, weight, polynomials, scale, offset, squash):
        ctx.save_for_backward(x, weight, polynomials)
        ctx.geometry = (scale, offset, squash)
        n_bases = weight.shape[-1]
        dtype = torch.promote_types(x.dtype, torch.float32)
        device = x.device.type
        out_dtype = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else x.dtype
        with torch.autocast(device, enabled=False):
            t = x.to(dtype)
            u = offset + scale * (torch.tanh(t) if squash else t)
            values, column = _local_bases(u, polynomials.to(dtype), n_bases)
            table = _dense(values, column, n_bases)
            y = table.view(x.shape[0], -1) @ _padded(weight.to(dtype)).T
        return y.to(out_dtype)

    @staticmethod
    def backward(ctx, grad_y):
        x, weight, polynomials = ctx.saved_tensors
        scale, offset, squash = ctx.geometry
        n_bases = weight.shape[-1]
        n, i = x.shape
        dtype = torch.promote_types(x.dtype, torch.float32)
        grad_x = grad_weight = None
        with torch.autocast(x.device.type, enabled=False):
            t = x.to(dtype)
            if squash:
                t = torch.tanh(t)
            both, column = _local_bases(offset + scale * t, polynomials.to(dtype), n_bases,
                                        with_slopes=ctx.needs_input_grad[0])
            values, slopes = both[:column.shape[0]], both[column.shape[0]:]
            grad_y = grad_y.to(dtype)
            if ctx.needs_input_grad[0]:
                grad_table = (grad_y @ _padded(weight.to(dtype))).view(n, n_bases + 2, i)
                grad_u = (grad_table.gather(1, column.transpose(0, 1)) * slopes.transpose(0, 1)).sum(1)
                grad_x = grad_u.mul_((1 - t * t).mul_(scale) if squash else scale).to(x.dtype)
            if ctx.needs_input_grad[1]:
                table = _dense(values, column, n_bases).view(n, -1)
                grad_padded = (grad_y.T @ table).view(-1, n_bases + 2, i)      # (O, n_bases + 2, I)
                grad_weight = grad_padded[:, 1:-1].transpose(1, 2).to(weight.dtype)
        return grad_x, grad_weight, None, None, None, None
