"""LoRA on a linear projection, with merge/unmerge for free inference."""
import math
from typing import Any

import torch
from torch import nn

from loki_video.user_error import UserValueError


class LoRALinear(nn.Linear):
    """An ``nn.Linear`` plus a low-rank update: ``y = W x + b + s * B A dropout(x)``.

    The frozen weight keeps the name ``weight`` so pretrained checkpoints load
    unchanged; the update lives in ``lora_A`` and ``lora_B``. A fused
    projection (timm's ``qkv``) is split into ``num_splits`` equal output parts
    with one rank-r update each, so W_q, W_k and W_v each get their own LoRA.

    Args:
        in_features, out_features, bias: as ``nn.Linear``.
        rank (int): r. Defaults to 4.
        alpha (float): the update is scaled by ``alpha / rank``. Defaults to 4.0.
        dropout (float): dropout on the LoRA input. Defaults to 0.2.
        num_splits (int): number of output parts with their own update (3 for qkv). Defaults to 1.

    Parameters: ``lora_A`` (num_splits * r, in), ``lora_B`` (out, r), so
    4 projections of 768 at rank 4 add 24,576 parameters per block.
    Shapes: (..., in) -> (..., out).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, rank: int = 4, alpha: float = 4.0,
                 dropout: float = 0.2, num_splits: int = 1) -> None:
        super().__init__(in_features, out_features, bias=bias)
        if out_features % num_splits:
            raise UserValueError(f'out_features={out_features} is not divisible by num_splits={num_splits}')
        self.rank = rank
        self.num_splits = num_splits
        self.scaling = alpha / rank
        self.lora_dropout = nn.Dropout(dropout)
        self.lora_A = nn.Parameter(torch.empty(num_splits * rank, in_features))
        self.lora_B = nn.Parameter(torch.zeros(out_features, rank))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.merged = False

    @classmethod
    def from_linear(cls, linear: nn.Linear, **lora_options: Any) -> 'LoRALinear':
        """Wrap an existing ``nn.Linear``, sharing its weight and bias tensors."""
        lora = cls(linear.in_features, linear.out_features, bias=linear.bias is not None,
                   **lora_options)
        lora.weight = linear.weight
        lora.bias = linear.bias
        return lora.to(linear.weight.device)

    def delta_weight(self) -> torch.Tensor:
        """The dense update ``s * blockdiag(B_i) A`` of shape (out, in)."""
        a = self.lora_A.view(self.num_splits, self.rank, self.in_features)
        b = self.lora_B.view(self.num_splits, -1, self.rank)
        return torch.bmm(b, a).reshape(self.out_features, self.in_features) * self.scaling

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = super().forward(x)
        if self.merged:
            return y
        a = self.lora_dropout(x) @ self.lora_A.t()                     # (..., S*r)
        a = a.unflatten(-1, (self.num_splits, self.rank))              # (..., S, r)
        b = self.lora_B.view(self.num_splits, -1, self.rank)           # (S, out/S, r)
        update = torch.einsum('...sr,sor->...so', a, b).flatten(-2)    # (..., out)
        return y + update * self.scaling

    @torch.no_grad()
    def merge(self) -> None:
        """Fold the update into ``weight`` so inference costs one matmul."""
        if not self.merged:
            self.weight += self.delta_weight()
            self.merged = True

    @torch.no_grad()
    def unmerge(self) -> None:
        """Undo :meth:`merge` (to train again)."""
        if self.merged:
            self.weight -= self.delta_weight()
            self.merged = False

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, rank={self.rank}, splits={self.num_splits}'


def add_lora_to_attention(attention: nn.Module, **lora_options: Any) -> None:
    """Replace a timm ``Attention``'s ``qkv`` and ``proj`` with LoRA versions (W_q, W_k, W_v, W_o)."""
    attention.qkv = LoRALinear.from_linear(attention.qkv, num_splits=3, **lora_options)
    attention.proj = LoRALinear.from_linear(attention.proj, num_splits=1, **lora_options)
