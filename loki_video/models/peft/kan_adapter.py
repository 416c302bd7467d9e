"""A KAN used directly as a tuning module in the full token width."""
from typing import Any

import torch
from mmengine.registry import MODELS
from torch import nn

from .kan import KAN


@MODELS.register_module()
class KANAdapter(nn.Module):
    """``KAN[D, hidden, D]``; the last layer starts at zero so the module outputs 0.

    With the default widths (768, 11, 768) it has 168,960 parameters, the budget
    LoKi is compared against.

    Shapes: (..., D) -> (..., D).
    """

    def __init__(self, dim: int, hidden: int = 11, **kan_options: Any) -> None:
        super().__init__()
        self.kan = KAN([dim, hidden, dim], **kan_options)
        last = self.kan.layers[-1]
        nn.init.zeros_(last.base_weight)
        nn.init.zeros_(last.spline_weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.kan(x)
