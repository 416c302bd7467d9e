"""The fused KAN layer as a PyTorch custom operator: ``torch.ops.loki_video.kan_linear``.

Backed by the Triton kernels of ``kan_kernels.py`` through ``torch.library.triton_op``, so that
``torch.compile`` traces the op without a graph break and Inductor sees the kernels;
``register_autograd`` gives its backward, a second op (``loki_video::kan_linear_backward``); shape-only
fake implementations serve tracing. Importing this module imports Triton; ``kan.py`` imports it
only when a layer first runs on the Triton backend.

Triton's interpreter runs the same kernels on CPU tensors when ``TRITON_INTERPRET=1`` is set
before this module is first imported (the tests do so); it checks semantics, not speed.
"""
from typing import Tuple

import torch
from torch.library import triton_op, wrap_triton

from . import kan_kernels


@triton_op('loki_video::kan_linear', mutates_args=())
def kan_linear(x: torch.Tensor, base_weight: torch.Tensor, spline_weight: torch.Tensor, spline_scaler: torch.Tensor,
               spline_order: int, scale: float, offset: float, squash: bool, out_dtype: torch.dtype) -> torch.Tensor:
    """``silu(x) @ base_weight.T + B(u(x)).flatten(1) @ (spline_weight * spline_scaler[..., None]).flatten(1).T``:
    ``x (N, I) -> (N, O)``.

    ``base_weight (O, I)``, ``spline_weight (O, I, n_bases)``, ``spline_scaler (O, I)``;
    ``u = offset + scale * (tanh(x) if squash else x)``. Computed in float32; the output in ``out_dtype``.
    """
    y = x.new_empty((x.shape[0], spline_weight.shape[0]), dtype=out_dtype)
    kan_kernels.kan_forward(x, base_weight, spline_weight, spline_scaler, y, spline_order, scale, offset, squash,
                            wrap_triton)
    return y


@triton_op('loki_video::kan_linear_backward', mutates_args=())
def kan_linear_backward(grad_y: torch.Tensor, x: torch.Tensor, base_weight: torch.Tensor,
                        spline_weight: torch.Tensor, spline_scaler: torch.Tensor, spline_order: int, scale: float,
                        offset: float, squash: bool
                        ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of :func:`kan_linear` for ``grad_y (N, O)``: ``x``'s in its dtype, the weights' in theirs."""
    grads = _empty_gradients(x, base_weight, spline_weight, spline_scaler)
    kan_kernels.kan_backward(grad_y, x, base_weight, spline_weight, spline_scaler, *grads, spline_order, scale,
                             offset, squash, wrap_triton)
    return grads


def _empty_gradients(x, *weights):
    """``grad_x`` like ``x`` and contiguous gradients like the weights."""
    return (torch.empty_like(x), *(torch.empty_like(w, memory_format=torch.contiguous_format) for w in weights))


@kan_linear.register_fake
def _kan_linear_fake(x, base_weight, spline_weight, spline_scaler, spline_order, scale, offset, squash, out_dtype):
    """Shapes only (the function body, triton_op's default fake, would launch interpreted kernels)."""
    return x.new_empty((x.shape[0], spline_weight.shape[0]), dtype=out_dtype)


@kan_linear_backward.register_fake
def _kan_linear_backward_fake(grad_y, x, base_weight, spline_weight, spline_scaler, spline_order, scale, offset,
                              squash):
    return _empty_gradients(x, base_weight, spline_weight, spline_scaler)


def _setup_context(ctx, inputs, output) -> None:
    x, base_weight, spline_weight, spline_scaler, spline_order, scale, offset, squash, _ = inputs
    ctx.save_for_backward(x, base_weight, spline_weight, spline_scaler)
    ctx.geometry = (spline_order, scale, offset, squash)


def _backward(ctx, grad_y):
    grads = kan_linear_backward(grad_y, *ctx.saved_tensors, *ctx.geometry)
    return (*grads, None, None, None, None, None)


kan_linear.register_autograd(_backward, setup_context=_setup_context)


def fused_kan_linear(x: torch.Tensor, base_weight: torch.Tensor, spline_weight: torch.Tensor,
                     spline_scaler: torch.Tensor, spline_order: int, scale: float, offset: float,
                     squash: bool) -> torch.Tensor:
    """:func:`kan_linear` with the closed form's output dtype: the autocast dtype under autocast (as a
    matmul's), else ``x``'s. ``x (N, I) -> (N, O)``."""
    device = x.device.type
    if device == 'cpu' and not kan_kernels.INTERPRETED:
        raise RuntimeError(
            "kan_backend='triton' got a CPU tensor: the Triton kernels run on CUDA devices; use "
            "kan_backend='auto' (Triton on CUDA, the closed form elsewhere) or 'torch', or set "
            "TRITON_INTERPRET=1 before starting Python to run them in Triton's interpreter (slow; for tests)")
    out_dtype = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else x.dtype
    return kan_linear(x, base_weight, spline_weight, spline_scaler, spline_order, scale, offset, squash, out_dtype)
