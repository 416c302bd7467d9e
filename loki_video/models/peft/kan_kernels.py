"""Triton kernels of the KAN layer: base and spline terms fused, forward and backward.

For ``x (N, I)``, ``base_weight (O, I)``, ``spline_weight (O, I, n_bases)`` and ``spline_scaler (O, I)``
the layer computes::

    y[n, o] = sum_i silu(x[n, i]) base_weight[o, i]
              + sum_ij B_j(u(x[n, i])) spline_weight[o, i, j] spline_scaler[o, i]

with ``u(x) = offset + scale * x`` or ``offset + scale * tanh(x)`` (``squash``) and ``B_j`` the
closed-form uniform B-spline bases of ``bspline.py`` (``B_j(u) = sum_l a_l (c_l - |u - j - centre|)_+^k``).
Every kernel loads a tile of ``x``, computes SiLU and the bases (or their derivatives) in
registers, in float32, and multiplies them with ``tl.dot`` in float32: no ``(N, n_bases, I)``
table is ever written to memory.

* :func:`kan_forward`: one kernel, a program per ``(BLOCK_N rows, BLOCK_O outputs)`` tile, looping
  over input tiles and bases.
* :func:`kan_backward`: ``grad_x`` in one kernel (a program per ``(rows, inputs)`` tile;
  ``silu'(x) (grad_y @ base_weight) + u'(x) sum_j B'_j(u) (grad_y @ W_j)`` with ``W_j`` the scaled
  ``spline_weight[..., j] * spline_scaler``) and the weight gradients in two. They are deterministic:
  the rows are cut into fixed splits of :data:`SPLIT_ROWS` rows; a program per (split, weight tile,
  basis or base term) sums its split's row tiles in a fixed order into its own slot of a float32
  ``(splits, n_bases + 1, O, I)`` buffer; then a program per weight tile sums the splits in order
  and applies the chain rule of ``spline_weight * spline_scaler``. No atomics.

``spline_scaler`` multiplies ``spline_weight`` inside the kernels, so the scaled weight is never
materialised either.

Tile sizes are fixed per kernel and widths (:data:`TILES`, :func:`_tiles`): ``tl.dot`` needs tiles of
at least 16, so narrower widths are padded by masks, with the padding weights loaded as zero.
"""
import functools
from typing import Callable, Optional

import torch
import triton
import triton.language as tl
from triton.runtime.interpreter import InterpretedFunction

from loki_video.user_error import UserValueError

from .bspline import cardinal_terms

# Tiles per kernel: (BLOCK_N rows, largest BLOCK_I, largest BLOCK_O, warps). The float32 dot keeps its
# operands in registers; these tiles compile for sm_90 without register spills and within 128
# registers a thread at 8 warps, two programs per SM (``loki_video.analysis.kan_kernel_resources``).
TILES = dict(forward=(32, 32, 64, 8), grad_x=(32, 16, 16, 8), grad_weight=(32, 32, 32, 8),
             weight_grads=(None, 32, 32, 4))
SPLIT_ROWS = 512   # rows summed by one _kan_grad_weight_kernel program
MAX_TERMS = 3      # truncated-power terms of orders up to 5


def _tiles(kernel, n_in, n_out):
    """``(BLOCK_N, BLOCK_I, BLOCK_O, num_warps)`` of ``kernel`` for widths ``(n_in, n_out)``: powers of two,
    at least 16 (``tl.dot``'s smallest), at most :data:`TILES`'."""
    block_n, max_i, max_o, warps = TILES[kernel]
    return (block_n, max(16, min(max_i, triton.next_power_of_2(n_in))),
            max(16, min(max_o, triton.next_power_of_2(n_out))), warps)


@triton.jit
def _power(r, K: tl.constexpr):
    """``r ** K`` for ``K >= 1``, ``r > 0`` (as 0/1) for ``K == 0``."""
    if K == 0:
        p = tl.where(r > 0, 1.0, 0.0)
    else:
        p = r
        for _ in tl.static_range(K - 1):
            p = p * r
    return p


@triton.jit
def _cardinal(s, a0, c0, a1, c1, a2, c2, K: tl.constexpr, TERMS: tl.constexpr):
    """``sum_l a_l (c_l - s)_+^K`` over the first ``TERMS`` of ``(a_l, c_l)``; ``s >= 0``."""
    total = a0 * _power(tl.maximum(c0 - s, 0.0), K)
    if TERMS > 1:
        total += a1 * _power(tl.maximum(c1 - s, 0.0), K)
    if TERMS > 2:
        total += a2 * _power(tl.maximum(c2 - s, 0.0), K)
    return total


@triton.jit
def _tanh(x):
    """``tanh`` from ``exp`` (absolute error ~1e-7 in float32): saturates to +-1, never NaN."""
    return 1.0 - 2.0 / (tl.exp(2.0 * x) + 1.0)


@triton.jit
def _position(x, scale, offset, SQUASH: tl.constexpr):
    """Spline position in grid units ``u`` and ``du/dx``, both shaped as ``x``."""
    if SQUASH:
        t = _tanh(x)
        u = offset + scale * t
        du_dx = scale * (1.0 - t * t)
    else:
        u = offset + scale * x
        du_dx = tl.full(x.shape, 1.0, tl.float32) * scale
    return u, du_dx


@triton.jit
def _load_tile(ptr, rows, cols, stride_r, stride_c, n_rows, n_cols):
    """``ptr[rows, cols]`` as float32, zero outside ``(n_rows, n_cols)``."""
    mask = (rows[:, None] < n_rows) & (cols[None, :] < n_cols)
    rows, cols = rows.to(tl.int64), cols.to(tl.int64)  # offsets past 2**31 elements
    return tl.load(ptr + rows[:, None] * stride_r + cols[None, :] * stride_c, mask=mask, other=0.0).to(tl.float32)


@triton.jit
def _kan_forward_kernel(
        x_ptr, base_ptr, spline_ptr, scaler_ptr, y_ptr, n_rows, n_in, n_out,
        stride_xn, stride_xi, stride_bo, stride_bi, stride_so, stride_si, stride_sj, stride_co, stride_ci,
        stride_yn, stride_yo,
        scale, offset, centre, a0, c0, a1, c1, a2, c2,
        SQUASH: tl.constexpr, K: tl.constexpr, TERMS: tl.constexpr, N_BASES: tl.constexpr,
        BLOCK_N: tl.constexpr, BLOCK_I: tl.constexpr, BLOCK_O: tl.constexpr, PRECISION: tl.constexpr) -> None:
    """``y[rows, outs]`` for one ``(BLOCK_N, BLOCK_O)`` tile."""
    rows = tl.program_id(0) * BLOCK_N + tl.arange(0, BLOCK_N)
    outs = tl.program_id(1) * BLOCK_O + tl.arange(0, BLOCK_O)
    acc = tl.zeros((BLOCK_N, BLOCK_O), dtype=tl.float32)
    for i0 in range(0, n_in, BLOCK_I):
        ins = i0 + tl.arange(0, BLOCK_I)
        x = _load_tile(x_ptr, rows, ins, stride_xn, stride_xi, n_rows, n_in)  # (BLOCK_N, BLOCK_I)
        base_w = _load_tile(base_ptr, ins, outs, stride_bi, stride_bo, n_in, n_out)  # (BLOCK_I, BLOCK_O)
        scaler = _load_tile(scaler_ptr, ins, outs, stride_ci, stride_co, n_in, n_out)
        acc += tl.dot(x * tl.sigmoid(x), base_w, input_precision=PRECISION)
        u, _ = _position(x, scale, offset, SQUASH)
        for j in range(N_BASES):
            bases = _cardinal(tl.abs(u - (centre + j)), a0, c0, a1, c1, a2, c2, K, TERMS)
            spline_w = _load_tile(spline_ptr + j * stride_sj, ins, outs, stride_si, stride_so, n_in, n_out)
            acc += tl.dot(bases, spline_w * scaler, input_precision=PRECISION)
    mask = (rows[:, None] < n_rows) & (outs[None, :] < n_out)
    tl.store(y_ptr + rows[:, None].to(tl.int64) * stride_yn + outs[None, :].to(tl.int64) * stride_yo,
             acc.to(y_ptr.dtype.element_ty), mask=mask)


@triton.jit
def _kan_grad_x_kernel(
        grad_y_ptr, x_ptr, base_ptr, spline_ptr, scaler_ptr, grad_x_ptr, n_rows, n_in, n_out,
        stride_gn, stride_go, stride_xn, stride_xi, stride_bo, stride_bi, stride_so, stride_si, stride_sj,
        stride_co, stride_ci, stride_dn, stride_di,
        scale, offset, centre, a0, c0, a1, c1, a2, c2,
        SQUASH: tl.constexpr, K: tl.constexpr, TERMS: tl.constexpr, N_BASES: tl.constexpr,
        BLOCK_N: tl.constexpr, BLOCK_I: tl.constexpr, BLOCK_O: tl.constexpr, PRECISION: tl.constexpr) -> None:
    """``grad_x[rows, ins]`` for one ``(BLOCK_N, BLOCK_I)`` tile.

    ``dB_j/du = -K sum_l a_l (c_l - s)_+^(K-1) sign(u - centre_j)`` with ``s = |u - centre_j|``.
    """
    rows = tl.program_id(0) * BLOCK_N + tl.arange(0, BLOCK_N)
    ins = tl.program_id(1) * BLOCK_I + tl.arange(0, BLOCK_I)
    x = _load_tile(x_ptr, rows, ins, stride_xn, stride_xi, n_rows, n_in)
    u, du_dx = _position(x, scale, offset, SQUASH)
    through_base = tl.zeros((BLOCK_N, BLOCK_I), dtype=tl.float32)
    for o0 in range(0, n_out, BLOCK_O):
        outs = o0 + tl.arange(0, BLOCK_O)
        grad_y = _load_tile(grad_y_ptr, rows, outs, stride_gn, stride_go, n_rows, n_out)  # (BLOCK_N, BLOCK_O)
        base_w = _load_tile(base_ptr, outs, ins, stride_bo, stride_bi, n_out, n_in)  # (BLOCK_O, BLOCK_I)
        through_base += tl.dot(grad_y, base_w, input_precision=PRECISION)
    sig = tl.sigmoid(x)
    grad_u = tl.zeros((BLOCK_N, BLOCK_I), dtype=tl.float32)
    for j in range(N_BASES):
        through_basis = tl.zeros((BLOCK_N, BLOCK_I), dtype=tl.float32)
        for o0 in range(0, n_out, BLOCK_O):
            outs = o0 + tl.arange(0, BLOCK_O)
            grad_y = _load_tile(grad_y_ptr, rows, outs, stride_gn, stride_go, n_rows, n_out)
            spline_w = _load_tile(spline_ptr + j * stride_sj, outs, ins, stride_so, stride_si, n_out, n_in)
            scaler = _load_tile(scaler_ptr, outs, ins, stride_co, stride_ci, n_out, n_in)
            through_basis += tl.dot(grad_y, spline_w * scaler, input_precision=PRECISION)
        distance = u - (centre + j)
        side = tl.where(distance > 0, 1.0, tl.where(distance < 0, -1.0, 0.0))
        slope = -K * side * _cardinal(tl.abs(distance), a0, c0, a1, c1, a2, c2, K - 1, TERMS)
        grad_u += slope * through_basis
    grad_x = sig * (1.0 + x * (1.0 - sig)) * through_base + du_dx * grad_u
    mask = (rows[:, None] < n_rows) & (ins[None, :] < n_in)
    tl.store(grad_x_ptr + rows[:, None].to(tl.int64) * stride_dn + ins[None, :].to(tl.int64) * stride_di,
             grad_x.to(grad_x_ptr.dtype.element_ty), mask=mask)


@triton.jit
def _kan_grad_weight_kernel(
        grad_y_ptr, x_ptr, partial_ptr, n_rows, n_in, n_out, tiles_per_split,
        stride_gn, stride_go, stride_xn, stride_xi,
        scale, offset, centre, a0, c0, a1, c1, a2, c2,
        SQUASH: tl.constexpr, K: tl.constexpr, TERMS: tl.constexpr, N_BASES: tl.constexpr,
        BLOCK_N: tl.constexpr, BLOCK_I: tl.constexpr, BLOCK_O: tl.constexpr, PRECISION: tl.constexpr) -> None:
    """``partial[split, j, outs, ins] = sum over the split's rows of grad_y[:, outs]^T feature_j[:, ins]``.

    ``feature_j`` is ``B_j(u(x))`` for ``j < N_BASES`` and ``silu(x)`` for ``j == N_BASES``;
    ``partial (splits, N_BASES + 1, n_out, n_in)`` is contiguous.
    """
    split = tl.program_id(0)
    n_i_blocks = tl.cdiv(n_in, BLOCK_I)
    outs = (tl.program_id(1) // n_i_blocks) * BLOCK_O + tl.arange(0, BLOCK_O)
    ins = (tl.program_id(1) % n_i_blocks) * BLOCK_I + tl.arange(0, BLOCK_I)
    j = tl.program_id(2)
    acc = tl.zeros((BLOCK_O, BLOCK_I), dtype=tl.float32)
    for tile in range(tiles_per_split):
        rows = (split * tiles_per_split + tile) * BLOCK_N + tl.arange(0, BLOCK_N)
        grad_y = _load_tile(grad_y_ptr, rows, outs, stride_gn, stride_go, n_rows, n_out)  # zero on padded rows
        x = _load_tile(x_ptr, rows, ins, stride_xn, stride_xi, n_rows, n_in)
        if j == N_BASES:
            feature = x * tl.sigmoid(x)
        else:
            u, _ = _position(x, scale, offset, SQUASH)
            feature = _cardinal(tl.abs(u - (centre + j)), a0, c0, a1, c1, a2, c2, K, TERMS)
        acc += tl.dot(tl.trans(grad_y), feature, input_precision=PRECISION)
    mask = (outs[:, None] < n_out) & (ins[None, :] < n_in)
    offsets = ((split.to(tl.int64) * (N_BASES + 1) + j) * n_out + outs[:, None]) * n_in + ins[None, :]
    tl.store(partial_ptr + offsets, acc, mask=mask)


@triton.jit
def _kan_weight_grads_kernel(
        partial_ptr, spline_ptr, scaler_ptr, grad_base_ptr, grad_spline_ptr, grad_scaler_ptr, splits, n_in, n_out,
        stride_so, stride_si, stride_sj, stride_co, stride_ci,
        N_BASES: tl.constexpr, BLOCK_O: tl.constexpr, BLOCK_I: tl.constexpr) -> None:
    """The weight gradients of one ``(BLOCK_O, BLOCK_I)`` tile from ``partial``, its splits summed in order:
    ``grad_base = G[N_BASES]``, ``grad_spline[..., j] = G[j] * scaler`` and ``grad_scaler = sum_j G[j] spline[..., j]``
    with ``G`` the gradient of the scaled weight ``spline * scaler``. Outputs contiguous."""
    n_i_blocks = tl.cdiv(n_in, BLOCK_I)
    outs = (tl.program_id(0) // n_i_blocks) * BLOCK_O + tl.arange(0, BLOCK_O)
    ins = (tl.program_id(0) % n_i_blocks) * BLOCK_I + tl.arange(0, BLOCK_I)
    mask = (outs[:, None] < n_out) & (ins[None, :] < n_in)
    weight = outs[:, None] * n_in + ins[None, :]                     # offsets in a contiguous (O, I) tensor
    scaler = _load_tile(scaler_ptr, outs, ins, stride_co, stride_ci, n_out, n_in)
    grad_scaler = tl.zeros((BLOCK_O, BLOCK_I), dtype=tl.float32)
    for j in range(N_BASES + 1):
        total = tl.zeros((BLOCK_O, BLOCK_I), dtype=tl.float32)
        for split in range(splits):
            total += tl.load(partial_ptr + (split * (N_BASES + 1) + j) * n_out * n_in + weight, mask=mask, other=0.0)
        if j == N_BASES:
            tl.store(grad_base_ptr + weight, total.to(grad_base_ptr.dtype.element_ty), mask=mask)
        else:
            spline_w = _load_tile(spline_ptr + j * stride_sj, outs, ins, stride_so, stride_si, n_out, n_in)
            grad_scaler += total * spline_w
            tl.store(grad_spline_ptr + weight * N_BASES + j, (total * scaler).to(grad_spline_ptr.dtype.element_ty),
                     mask=mask)
    tl.store(grad_scaler_ptr + weight, grad_scaler.to(grad_scaler_ptr.dtype.element_ty), mask=mask)


INTERPRETED = isinstance(_kan_forward_kernel, InterpretedFunction)  # TRITON_INTERPRET=1 at import: CPU tensors


@functools.lru_cache(maxsize=None)
def _spline_arguments(spline_order, scale, offset):
    """Scalar arguments ``(scale, offset, centre, a0, c0, a1, c1, a2, c2)`` and constexprs ``(K, TERMS)``."""
    spline = cardinal_terms(spline_order)
    if len(spline.terms) > MAX_TERMS:
        raise UserValueError(f'the Triton KAN kernels take spline_order up to 5, got {spline_order}')
    terms = list(spline.terms) + [(0.0, 0.0)] * (MAX_TERMS - len(spline.terms))
    scalars = (scale, offset, spline.centre, *(value for term in terms for value in term))
    return scalars, (spline_order, len(spline.terms))


def _precision() -> str:
    """``tl.dot`` precision of float32 products: ``'tf32'`` where torch's own CUDA matmuls use TF32, else ``'ieee'``.

    torch's CUDA matmuls follow ``torch.backends.cuda.matmul.fp32_precision``, or, where that is
    ``'none'``, ``torch.backends.fp32_precision``; the legacy ``torch.set_float32_matmul_precision``
    and ``allow_tf32`` write the first. ``torch.get_float32_matmul_precision()`` raises once both
    APIs were used, so it is read only by a torch without the new one.
    """
    matmul = getattr(torch.backends.cuda.matmul, 'fp32_precision', None)
    if matmul is None:
        return 'ieee' if torch.get_float32_matmul_precision() == 'highest' else 'tf32'
    if matmul == 'none':
        matmul = torch.backends.fp32_precision
    return 'tf32' if matmul == 'tf32' else 'ieee'


def kan_forward(x: torch.Tensor, base_weight: torch.Tensor, spline_weight: torch.Tensor, spline_scaler: torch.Tensor,
                y: torch.Tensor, spline_order: int, scale: float, offset: float, squash: bool,
                launch: Callable) -> None:
    """Fill ``y (N, O)`` with the layer's output for ``x (N, I)``; ``launch(kernel)`` wraps each kernel
    (``torch.library.wrap_triton`` inside a custom op)."""
    n, n_in = x.shape
    n_out, _, n_bases = spline_weight.shape
    if n == 0:
        return
    block_n, block_i, block_o, warps = _tiles('forward', n_in, n_out)
    scalars, (order, terms) = _spline_arguments(spline_order, scale, offset)
    launch(_kan_forward_kernel)[(triton.cdiv(n, block_n), triton.cdiv(n_out, block_o))](
        x, base_weight, spline_weight, spline_scaler, y, n, n_in, n_out, *x.stride(), *base_weight.stride(),
        *spline_weight.stride(), *spline_scaler.stride(), *y.stride(), *scalars, SQUASH=squash, N_BASES=n_bases,
        K=order, TERMS=terms, BLOCK_N=block_n, BLOCK_I=block_i, BLOCK_O=block_o, PRECISION=_precision(),
        num_warps=warps)


def kan_backward(grad_y: torch.Tensor, x: torch.Tensor, base_weight: torch.Tensor, spline_weight: torch.Tensor,
                 spline_scaler: torch.Tensor, grad_x: Optional[torch.Tensor], grad_base: Optional[torch.Tensor],
                 grad_spline: Optional[torch.Tensor], grad_scaler: Optional[torch.Tensor], spline_order: int,
                 scale: float, offset: float, squash: bool, launch: Callable) -> None:
    """Fill ``grad_x`` (like ``x``) and the contiguous weight gradients ``grad_base (O, I)``,
    ``grad_spline (O, I, n_bases)`` and ``grad_scaler (O, I)`` for ``grad_y (N, O)``."""
    n, n_in = x.shape
    n_out, _, n_bases = spline_weight.shape
    scalars, (order, terms) = _spline_arguments(spline_order, scale, offset)
    spline = dict(SQUASH=squash, N_BASES=n_bases, K=order, TERMS=terms, PRECISION=_precision())
    block_n, block_i, block_o, warps = _tiles('grad_x', n_in, n_out)
    if n > 0:
        launch(_kan_grad_x_kernel)[(triton.cdiv(n, block_n), triton.cdiv(n_in, block_i))](
            grad_y, x, base_weight, spline_weight, spline_scaler, grad_x, n, n_in, n_out, *grad_y.stride(),
            *x.stride(), *base_weight.stride(), *spline_weight.stride(), *spline_scaler.stride(), *grad_x.stride(),
            *scalars, **spline, BLOCK_N=block_n, BLOCK_I=block_i, BLOCK_O=block_o, num_warps=warps)
    splits = max(1, triton.cdiv(n, SPLIT_ROWS))
    partial = x.new_empty((splits, n_bases + 1, n_out, n_in), dtype=torch.float32)
    block_n, block_i, block_o, warps = _tiles('grad_weight', n_in, n_out)
    tiles = triton.cdiv(n_out, block_o) * triton.cdiv(n_in, block_i)
    launch(_kan_grad_weight_kernel)[(splits, tiles, n_bases + 1)](
        grad_y, x, partial, n, n_in, n_out, triton.cdiv(min(SPLIT_ROWS, n), block_n),
        *grad_y.stride(), *x.stride(), *scalars, **spline, BLOCK_N=block_n, BLOCK_I=block_i, BLOCK_O=block_o,
        num_warps=warps)
    _, block_i, block_o, warps = _tiles('weight_grads', n_in, n_out)
    launch(_kan_weight_grads_kernel)[(triton.cdiv(n_out, block_o) * triton.cdiv(n_in, block_i), )](
        partial, spline_weight, spline_scaler, grad_base, grad_spline, grad_scaler, splits, n_in, n_out,
        *spline_weight.stride(), *spline_scaler.stride(), N_BASES=n_bases, BLOCK_O=block_o, BLOCK_I=block_i,
        num_warps=warps)
