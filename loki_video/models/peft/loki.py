"""LoKi: a low-dimensional KAN between a linear encoder and decoder."""
from typing import Any

import torch
from mmengine.registry import MODELS
from torch import nn

from .kan import KAN


@MODELS.register_module()
class LoKi(nn.Module):
    """``Linear(D, D*r1) -> KAN[D*r1, D*r1*r2, D*r1] -> Linear(D*r1, D)``.

    For D = 768 and r1 = r2 = 1/8 the KAN is 96-12-96 and the module has
    171,360 parameters. The decoder starts at zero, so a freshly built model
    computes exactly what the pretrained one does.

    Args:
        dim (int): token width D.
        r1 (float): encoder width as a fraction of D. Defaults to 1 / 8.
        r2 (float): KAN hidden width as a fraction of the encoder width. Defaults to 1 / 8.
        **kan_options (dict): passed to every KANLinear (grid_size, spline_order, ...).

    Shapes: (..., D) -> (..., D).
    """

    def __init__(self, dim: int, r1: float = 1 / 8, r2: float = 1 / 8, **kan_options: Any) -> None:
        super().__init__()
        low = max(1, round(dim * r1))
        hidden = max(1, round(low * r2))
        self.encoder = nn.Linear(dim, low)
        self.kan = KAN([low, hidden, low], **kan_options)
        self.decoder = nn.Linear(low, dim)
        nn.init.zeros_(self.decoder.weight)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.kan(self.encoder(x)))
