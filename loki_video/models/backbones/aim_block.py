"""A timm ViT block with AIM's three tuning slots."""
from typing import Any

import torch
from timm.models.vision_transformer import Block


class AIMBlock(Block):
    """timm ``Block`` whose forward follows AIM, with slots filled by tuning modules.

    Token layout: x is (B*T, L, D), frames of one clip consecutive.

    * temporal branch (only when ``temporal_slot`` is set and T > 1): the
      block's own frozen attention runs over the time axis of every token,
      class tokens included; ``x += drop_path(temporal_slot(attn_t(norm1 x)))``.
      ``temporal_in_slot`` (AIM's SSv2 variant) adds ``h + slot(h)`` before it.
    * spatial branch: ``a = attn(norm1 x); x += a + spatial_slot(a)``.
    * MLP: ``h = norm2 x; x += mlp(h) + drop_path(mlp_scale * mlp_slot(h))``.

    As in AIM, stochastic depth acts on the temporal branch and the MLP slot.
    With every slot empty the block computes exactly what timm's block does
    without drop path.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.temporal_in_slot = None
        self.temporal_slot = None
        self.spatial_slot = None
        self.mlp_slot = None
        self.mlp_scale = 1.0

    def temporal_branch(self, x: torch.Tensor, num_frames: int) -> torch.Tensor:
        """(B*T, L, D) -> (B*T, L, D): attention among the T copies of each token."""
        bt, length, dim = x.shape
        batch = bt // num_frames
        xt = x.view(batch, num_frames, length, dim).transpose(1, 2).reshape(-1, num_frames, dim)
        h = self.norm1(xt)
        if self.temporal_in_slot is not None:
            h = h + self.temporal_in_slot(h)
        h = self.temporal_slot(self.attn(h))
        return h.view(batch, length, num_frames, dim).transpose(1, 2).reshape(bt, length, dim)

    def forward(self, x: torch.Tensor, num_frames: int = 1) -> torch.Tensor:
        """(B*T, L, D) -> (B*T, L, D); ``num_frames`` is T (1 for images: no temporal branch)."""
        if self.temporal_slot is not None and num_frames > 1:
            x = x + self.drop_path1(self.temporal_branch(x, num_frames))
        a = self.ls1(self.attn(self.norm1(x)))
        if self.spatial_slot is not None:
            a = a + self.spatial_slot(a)
        x = x + a
        h = self.norm2(x)
        x = x + self.ls2(self.mlp(h))
        if self.mlp_slot is not None:
            x = x + self.drop_path2(self.mlp_scale * self.mlp_slot(h))
        return x

    def forward_checkpointed(self, x: torch.Tensor, num_frames: int = 1) -> torch.Tensor:
        """:meth:`forward` with activation checkpointing (saves memory, costs a recompute)."""
        return torch.utils.checkpoint.checkpoint(self.forward, x, num_frames, use_reentrant=False)
