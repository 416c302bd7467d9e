"""mmaction2's I3D classification head with float32 scores, also under autocast."""
from typing import Any

import torch
from mmaction.models.heads import I3DHead
from mmaction.registry import MODELS


@MODELS.register_module()
class Float32I3DHead(I3DHead):
    """``I3DHead`` whose pooling and ``fc_cls`` run in float32: ``x (N, in_channels, ...) -> (N, num_classes)``.

    mmaction2 computes the training top-k accuracy and the evaluation metrics through NumPy,
    which has no bfloat16, so with ``I3DHead`` bfloat16 mixed precision stops at the first step
    (``TypeError: Got unsupported ScalarType BFloat16``). Float32 scores also give softmax and
    cross-entropy full precision, for one ``(in_channels, num_classes)`` matmul per clip. Same
    arguments, parameters and state-dict keys as ``I3DHead``.
    """

    def forward(self, x: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        with torch.autocast(x.device.type, enabled=False):
            return super().forward(x.float(), **kwargs)
