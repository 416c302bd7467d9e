"""Class-token attention over the patches of each frame, read from a TunableViT while it runs.

Nothing is recorded unless asked: :class:`SpatialAttentionRecorder` is a
context manager that, only while active, switches the chosen blocks' timm
``Attention`` from the fused kernel (which never forms the attention matrix)
to the explicit softmax, and hooks ``attn.attn_drop``, whose input is that
softmax, (B, heads, N, N). On exit the hooks are removed and ``fused_attn``
restored, so training and inference run as fast as before.

Only the spatial attention (among the tokens of one frame) is kept. An
``AIMBlock`` calls its attention twice when it has a temporal slot: first
over time (N = T frames), then over space (N = tokens of a frame); the
spatial call is therefore the last call of each block forward, and its shape
(B*T, heads, L, L), with L the block input's token count, is checked.

Token layout of a frame: ``[class, prompts..., patches (h*w, row-major)]``.
"""
from typing import Optional, Sequence, Tuple

import torch
from torch import nn

from loki_video.user_error import UserKeyError, UserValueError

MODES = ('last', 'rollout')


def class_attention(attention: torch.Tensor, num_patches: int) -> torch.Tensor:
    """Class token row over the patches, renormalised: (R, L, L) -> (R, P), rows sum to 1.

    The class token (index 0) and prompt tokens (indices 1..L-P-1) are left out.
    """
    row = attention[:, 0, -num_patches:]
    return row / row.sum(-1, keepdim=True)


def attention_rollout(attentions: Sequence[torch.Tensor]) -> torch.Tensor:
    """Attention rollout (Abnar & Zuidema, 2020) over head-averaged spatial attentions.

    Each layer's (R, L, L) attention gets the identity added (the residual
    path) and its rows renormalised; the layers are multiplied from the
    first to the last. Returns (R, L, L): how much each token at the output
    draws from each input token. Temporal mixing between frames is not
    part of it.
    """
    eye = torch.eye(attentions[0].shape[-1], dtype=attentions[0].dtype)
    rollout = eye.expand_as(attentions[0])
    for attention in attentions:
        mixed = attention + eye
        rollout = (mixed / mixed.sum(-1, keepdim=True)) @ rollout
    return rollout


class SpatialAttentionRecorder:
    """Record the head-averaged spatial attention of some blocks of a TunableViT.

    Args:
        backbone (nn.Module): a ``TunableViT`` (``model.backbone``).
        layers (Sequence[int], optional): indices of the blocks to record (negative counts from the
            end); None records every block. Defaults to None.

    Use::

        with SpatialAttentionRecorder(model.backbone) as recorder:
            model.test_step(batch)
        maps = recorder.class_maps('rollout')        # (R, h, w), R = clips * frames

    Attributes after a forward (the most recent forward only):
        attentions: {block index: (R, L, L) head-averaged attention}, R = B*T.
        grid: (h, w) patch grid of the frames.
    """

    def __init__(self, backbone: nn.Module, layers: Optional[Sequence[int]] = None) -> None:
        depth = len(backbone.blocks)
        indices = range(depth) if layers is None else layers
        try:
            self.layers = sorted({range(depth)[i] for i in indices})
        except IndexError as error:
            raise IndexError(f'layer indices {list(indices)} out of range for a backbone with '
                             f'{depth} blocks (use 0..{depth - 1} or negative indices)') from error
        self.backbone = backbone
        self.attentions = {}
        self.grid = None
        self._handles = []
        self._fused = {}
        self._calls = {}

    def __enter__(self):
        handles = self._handles
        handles.append(self.backbone.patch_embed.register_forward_hook(self._record_grid))
        for index in self.layers:
            block = self.backbone.blocks[index]
            self._fused[index] = block.attn.fused_attn
            block.attn.fused_attn = False
            handles.append(block.register_forward_pre_hook(self._start_block(index)))
            handles.append(block.attn.attn_drop.register_forward_hook(self._record_call(index)))
            handles.append(block.register_forward_hook(self._finish_block(index)))
        return self

    def __exit__(self, *exc_info) -> bool:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        for index, fused in self._fused.items():
            self.backbone.blocks[index].attn.fused_attn = fused
        self._fused.clear()
        self._calls.clear()
        return False

    def _record_grid(self, module, args, output) -> None:
        """patch_embed output (B, h, w, D): remember (h, w)."""
        self.grid = tuple(output.shape[1:3])

    def _start_block(self, index):
        def hook(module, args) -> None:
            self._calls[index] = []
        return hook

    def _record_call(self, index):
        def hook(module, args, output) -> None:
            self._calls[index].append(output.detach().float().mean(1))   # (B', N, N)
        return hook

    def _finish_block(self, index):
        def hook(module, args, output):
            rows, length = args[0].shape[:2]                    # block input (B*T, L, D)
            spatial = self._calls.pop(index)[-1]
            if spatial.shape != (rows, length, length):
                raise RuntimeError(f'block {index}: the last attention call has shape {tuple(spatial.shape)}, '
                                   f'expected the spatial attention ({rows}, {length}, {length}); the block no '
                                   'longer runs its spatial attention last')
            self.attentions[index] = spatial.cpu()
        return hook

    def class_maps(self, mode: str = 'last', layer: int = -1) -> torch.Tensor:
        """Class-token attention over each frame's patches: (R, h, w), each map sums to 1.

        Args:
            mode (str): ``'last'``: the attention of block ``layer``; ``'rollout'``:
                the rollout through the recorded blocks up to ``layer``. Defaults to ``'last'``.
            layer (int): a recorded block index (negative counts from the end of the backbone). Defaults to -1.
        """
        if mode not in MODES:
            raise UserValueError(f'mode {mode!r}: choose from {MODES}')
        if not self.attentions:
            raise RuntimeError('no attention recorded: run the model inside the `with` block')
        layer = range(len(self.backbone.blocks))[layer]
        if layer not in self.attentions:
            raise UserKeyError(f'block {layer} was not recorded; recorded: {sorted(self.attentions)}')
        height, width = self.grid
        if mode == 'last':
            attention = self.attentions[layer]
        else:
            attention = attention_rollout([self.attentions[i] for i in sorted(self.attentions) if i <= layer])
        return class_attention(attention, height * width).view(-1, height, width)


def class_attention_maps(model: nn.Module, batch: dict, mode: str = 'last',
                         layer: int = -1) -> Tuple[torch.Tensor, list]:
    """Run ``model.test_step(batch)`` and return its class-token attention maps.

    Only the blocks needed are switched to explicit attention: block
    ``layer`` for ``'last'``, blocks 0..``layer`` for ``'rollout'``.

    Returns:
        (maps (R, h, w) float tensor, each map summing to 1; the data samples
        of ``test_step``). R = views x frames of a video batch (frames of one
        view consecutive), 1 for an image.
    """
    depth = len(model.backbone.blocks)
    last = range(depth)[layer]
    layers = [last] if mode == 'last' else list(range(last + 1))
    with SpatialAttentionRecorder(model.backbone, layers) as recorder, torch.no_grad():
        samples = model.test_step(batch)
    return recorder.class_maps(mode, last), samples
