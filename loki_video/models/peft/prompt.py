"""Prompt tuning: learnable tokens inserted after the class token."""
import math

import torch
from torch import nn


class PromptTokens(nn.Module):
    """``num_tokens`` learnable tokens placed between the class token and the patches.

    Video clips get the same tokens in every frame. Initialised as in VPT:
    uniform in +-sqrt(6 / (3 * patch_area + D)).

    Shapes: (B, 1 + L, D) -> (B, 1 + num_tokens + L, D).
    """

    def __init__(self, dim: int, num_tokens: int = 200, patch_size: int = 16) -> None:
        super().__init__()
        self.tokens = nn.Parameter(torch.empty(1, num_tokens, dim))
        bound = math.sqrt(6.0 / (3 * patch_size * patch_size + dim))
        nn.init.uniform_(self.tokens, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        prompts = self.tokens.expand(x.shape[0], -1, -1).to(x.dtype)
        return torch.cat([x[:, :1], prompts, x[:, 1:]], dim=1)
