"""AIM's bottleneck adapter."""
import torch
from mmengine.registry import MODELS
from torch import nn


@MODELS.register_module()
class Adapter(nn.Module):
    """``fc1 -> GELU -> fc2`` bottleneck, initialised as AIM's: fc1 weight truncated normal
    (std 0.02), bias 0; fc2 zero, so the module outputs 0 and a fresh model equals the pretrained one.

    At dim 768 and ratio 0.25 (768-192-768) it has 295,872 parameters.
    The residual (if any) is added by the block that holds the slot.

    Args:
        dim (int): token width D.
        ratio (float): hidden width as a fraction of ``dim``. Defaults to 0.25.

    Shapes: (..., D) -> (..., D).
    """

    def __init__(self, dim: int, ratio: float = 0.25) -> None:
        super().__init__()
        hidden = int(dim * ratio)
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)
        nn.init.trunc_normal_(self.fc1.weight, std=0.02)
        nn.init.zeros_(self.fc1.bias)
        nn.init.zeros_(self.fc2.weight)
        nn.init.zeros_(self.fc2.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))
