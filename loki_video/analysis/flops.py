"""FLOPs of a config's model through mmengine's ``FlopAnalyzer``, with the ops it does not count.

As fvcore and mmengine count, one fused multiply-add is one FLOP and elementwise ops
(activations, additions, scaling) are not counted. ``FlopAnalyzer`` misses two ops that
do matmul work in this project's models; :func:`count_flops` adds their handles:

* ``aten::scaled_dot_product_attention`` (timm's fused attention): ``Q K^T`` and ``A V``,
  ``B * H * Lq * Lk * (d_qk + d_v)``;
* ``prim::PythonOp.SplineLinear`` (the spline term of a KAN layer): the weighted sum of
  ``n_bases`` B-spline bases per input and output, ``N * O * I * n_bases``;
* ``loki_video::kan_linear`` (the whole KAN layer on the Triton backend): the spline term and the
  base term's ``N * O * I``, ``N * O * I * (n_bases + 1)``: the count of the closed form.
"""
import math
from typing import Any, List, Optional, Sequence

import torch
from mmengine.analysis import FlopAnalyzer
from mmengine.analysis.jit_handles import get_shape
from mmengine.config import Config
from torch import nn

from loki_video.datasets.multi_view import Views

from .model_inputs import is_video, view_shape, views_per_sample

# Elementwise and shape ops: no multiply-adds to count (fvcore, mmengine, the AIM and LoKi papers).
NOT_COUNTED_OPS = frozenset(
    f'aten::{name}' for name in (
        'add', 'add_', 'sub', 'rsub', 'mul', 'mul_', 'div', 'gelu', 'silu', 'sigmoid', 'tanh',
        'softmax', 'addcmul', 'neg', 'exp', 'pow', 'sqrt', 'rsqrt', 'scatter_add_', 'mean',
        'unflatten'))


def attention_flops(inputs: List[Any], outputs: List[Any]) -> int:
    """``aten::scaled_dot_product_attention(q, k, v, ...)``: ``prod(batch) * Lq * Lk * (d + d_v)``."""
    q, k, v = (get_shape(value) for value in inputs[:3])
    return math.prod(q[:-2]) * q[-2] * k[-2] * (q[-1] + v[-1])


def spline_linear_flops(inputs: List[Any], outputs: List[Any]) -> int:
    """``SplineLinear(x (N, I), weight (O, I, n_bases))``: ``N * O * I * n_bases``."""
    x, weight = get_shape(inputs[0]), get_shape(inputs[1])
    return x[0] * math.prod(weight)


def kan_linear_flops(inputs: List[Any], outputs: List[Any]) -> int:
    """``loki_video::kan_linear(x (N, I), base_weight (O, I), spline_weight (O, I, n_bases), ...)``:
    ``N * O * I * (n_bases + 1)``."""
    x, weight = get_shape(inputs[0]), get_shape(inputs[2])
    return x[0] * math.prod(weight[:2]) * (weight[2] + 1)


OP_HANDLES = {
    'aten::scaled_dot_product_attention': attention_flops,
    'prim::PythonOp.SplineLinear': spline_linear_flops,
    'loki_video::kan_linear': kan_linear_flops,
}


class TensorForward(nn.Module):
    """``model(inputs, mode='tensor')`` as a plain module call, for tracing."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor) -> Any:
        return self.model(inputs, mode='tensor')


def flop_analyzer(module: nn.Module, inputs: tuple) -> FlopAnalyzer:
    """mmengine's ``FlopAnalyzer`` of ``module(*inputs)`` with the handles of ``OP_HANDLES``."""
    analyzer = FlopAnalyzer(module, inputs)
    for op, handle in OP_HANDLES.items():
        analyzer.set_op_handle(op, handle)
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return analyzer


def count_flops(model: nn.Module, cfg: Config, shape: Optional[Sequence[int]] = None,
                views: Optional[Views] = None) -> dict:
    """FLOPs of ``model`` (built from ``cfg``) on one view and on one test sample.

    Args:
        model (nn.Module): the built model (weights do not matter).
        cfg (Config): its config; the test pipeline gives the view shape and the views per sample.
        shape (Sequence[int], optional): ``(T, H, W)`` or ``(H, W)`` instead of the pipeline's. Defaults to None.
        views (Views, optional): ``(clips, crops)`` instead of the pipeline's (video configs).
            Defaults to None.

    Returns:
        dict with ``input_shape`` (one view, batch and view axes included), ``clips``,
        ``crops``, ``flops_per_view``, ``flops_per_sample``, ``by_operator`` and
        ``uncounted_ops`` (ops neither counted nor in ``NOT_COUNTED_OPS``, with their number).
    """
    one_view = view_shape(cfg, shape)
    clips, crops = views or views_per_sample(cfg)
    input_shape = (1, 1, *one_view) if is_video(cfg) else (1, *one_view)
    analyzer = flop_analyzer(TensorForward(model).eval(), (torch.zeros(input_shape),))
    with torch.no_grad():
        total = analyzer.total()
    uncounted = {op: n for op, n in analyzer.unsupported_ops().items() if op not in NOT_COUNTED_OPS}
    return dict(input_shape=list(input_shape), clips=clips, crops=crops, flops_per_view=total,
                flops_per_sample=total * clips * crops, by_operator=dict(analyzer.by_operator()),
                uncounted_ops=uncounted)
