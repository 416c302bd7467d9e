"""The slot-holding ViT backbone shared by the video and image configs."""
from typing import Any, Dict, NoReturn, Optional, Sequence, Tuple, Union

import torch
from timm.models.vision_transformer import VisionTransformer
from torch import nn

from loki_video.checkpoints.pretrained import load_pretrained
from loki_video.user_error import UserKeyError, UserValueError

from ..peft import PromptTokens, add_lora_to_attention, apply_freeze_policy, build_tuning_module
from ..peft.freeze_policy import report_group
from .aim_block import AIMBlock
from .archs import resolve_arch

SLOT_NAMES = ('temporal_in', 'temporal', 'spatial', 'mlp')


class TunableViT(VisionTransformer):
    """A frozen image ViT whose blocks hold tuning slots (AIM layout): timm's
    ``VisionTransformer`` with :class:`AIMBlock` blocks, built without a classifier.

    Registered in the mmaction2 and mmpretrain model registries under the same
    name, so video and image configs build it with ``type='TunableViT'``.
    Parameter names follow timm (``patch_embed``, ``cls_token``, ``pos_embed``,
    ``norm_pre``, ``blocks.i.{norm1,attn,norm2,mlp}``, ``norm``) plus
    ``temporal_embed``, ``prompt.tokens`` and ``blocks.i.<slot>_slot``.

    Args:
        arch (Union[str, dict]): a name from ``archs.ARCHS`` (``clip-b16``, ``in21k-b16``,
            ``clip-l14``, ``tiny``, ``small``) or a dict of timm ViT arguments. Defaults to ``'clip-b16'``.
        img_size (int): training resolution; other resolutions work at run time by
            interpolating the positional embedding. Defaults to 224.
        num_frames (int): frames per clip T; 1 builds an image model (no temporal
            embedding, temporal branch skipped). Defaults to 8.
        slots (Dict[str, Optional[dict]], optional): which tuning module fills each slot, e.g.
            ``dict(temporal=dict(type='LoKi'), spatial=..., mlp=..., temporal_in=None)``. Defaults to None.
        mlp_scale (float): s in ``x + mlp(h) + s * mlp_slot(h)`` (0.5 AIM video, 2.0 image recipe). Defaults to 0.5.
        lora (dict, optional): e.g. ``dict(rank=4, alpha=4, dropout=0.2)`` adds LoRA to W_q, W_k, W_v, W_o.
            Defaults to None.
        num_prompts (int): learnable prompt tokens per frame (0 = none). Defaults to 0.
        trainable (Sequence[str]): groups that learn (see ``peft.freeze_policy.TRAINABLE_GROUPS``);
            the rest is frozen here, at build time. Defaults to ``('slots', 'temporal_embed', 'final_norm')``.
        drop_path_rate (float): stochastic depth, linearly increasing over blocks. Defaults to 0.0.
        with_cp (bool): activation checkpointing in every block (timm's ``set_grad_checkpointing``).
            Defaults to False.
        pretrained (str, optional): a checkpoint path or a known name (see ``loki_video.checkpoints``),
            loaded at build time before the freeze policy. Defaults to None.

    Shapes: (N, C, T, H, W) -> (N, D, T, 1, 1) per-frame class features (for
    mmaction2 heads); (N, C, H, W) -> ``((N, D),)`` (for mmpretrain heads).

    The weights are set at build time (timm's initialisation, then ``pretrained``); ``is_init``
    tells mmengine's ``BaseModule.init_weights`` (the recognizer's, run when training starts) to
    leave them.
    """

    def __init__(self, arch: Union[str, dict] = 'clip-b16', img_size: int = 224, num_frames: int = 8,
                 slots: Optional[Dict[str, Optional[dict]]] = None, mlp_scale: float = 0.5,
                 lora: Optional[dict] = None, num_prompts: int = 0,
                 trainable: Sequence[str] = ('slots', 'temporal_embed', 'final_norm'),
                 drop_path_rate: float = 0.0, with_cp: bool = False, pretrained: Optional[str] = None) -> None:
        spec = resolve_arch(arch)
        super().__init__(img_size=img_size, num_classes=0, block_fn=AIMBlock, dynamic_img_size=True,
                         drop_path_rate=drop_path_rate, **spec)
        self.num_frames = num_frames
        self.set_grad_checkpointing(with_cp)
        if num_frames > 1:
            self.temporal_embed = nn.Parameter(torch.zeros(1, num_frames, self.embed_dim))
        self.prompt = PromptTokens(self.embed_dim, num_prompts, spec['patch_size']) if num_prompts else None
        self._fill_slots(slots or {}, mlp_scale)
        if lora is not None:
            for block in self.blocks:
                add_lora_to_attention(block.attn, **lora)
        self.pretrained = pretrained
        if pretrained is not None:
            self.load_pretrained_checkpoint(pretrained)
        self.trainable = tuple(trainable)
        apply_freeze_policy(self, self.trainable)
        self.is_init = True

    def _fill_slots(self, slots, mlp_scale):
        unknown = set(slots) - set(SLOT_NAMES)
        if unknown:
            raise UserKeyError(f'unknown slot name(s) {sorted(unknown)} in slots; choose from {SLOT_NAMES}')
        for block in self.blocks:
            block.mlp_scale = mlp_scale
            for name in SLOT_NAMES:
                setattr(block, f'{name}_slot', build_tuning_module(slots.get(name), self.embed_dim))

    def load_pretrained_checkpoint(self, source: str) -> tuple:
        """Load the pretrained checkpoint ``source`` (a path or a name from
        ``loki_video.checkpoints.KNOWN_WEIGHTS``, any format of ``loki_video.checkpoints.formats``);
        returns (missing, unexpected) keys. (timm's ``load_pretrained`` reads big_vision ``.npz`` files.)"""
        pretrained_keys = {key for key in self.state_dict() if report_group(key) == 'pretrained'}
        return load_pretrained(self, source, pretrained_keys)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Refuse a state dict without the frozen weights when this backbone has no pretrained file.

        A tunable-only checkpoint leaves the frozen weights to ``pretrained``; built without it
        (``mmaction.apis.init_recognizer`` sets ``pretrained=None``), they would stay random.
        """
        if self.pretrained is None:
            missing = sorted(prefix + name for name, param in self.named_parameters()
                             if not param.requires_grad and prefix + name not in state_dict)
            if missing:
                raise RuntimeError(
                    f'the checkpoint has no values for {len(missing)} frozen parameters ({missing[0]}, ...) '
                    'and this backbone was built without pretrained weights (model.backbone.pretrained=None, '
                    'as mmaction.apis.init_recognizer builds it): they would stay random. Load it with '
                    'loki_video.apis.init_model(config, checkpoint), which builds the backbone from its '
                    'pretrained file, or write a full checkpoint with '
                    '`python tools/export_checkpoint.py CONFIG CHECKPOINT OUT.pth` and load that')
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, 1 + P + L, D): patches, class token, positions, prompts.

        timm's ``_pos_embed`` (what its own ``forward_features`` calls; timm has no public name for it)
        resamples the positional embedding to another input resolution.
        """
        x = self._pos_embed(self.patch_embed(x))                  # (B, 1 + L, D)
        if self.prompt is not None:
            x = self.prompt(x)
        return x

    def add_temporal_embed(self, x: torch.Tensor, num_frames: int) -> torch.Tensor:
        """(B*T, L, D) -> (B*T, L, D) plus the embedding of each token's frame."""
        if num_frames not in (1, self.num_frames):
            raise UserValueError(f'clip has {num_frames} frames but the backbone was built with '
                                 f'num_frames={self.num_frames}: set model.backbone.num_frames to match '
                                 'the SampleFrames clip_len of the pipeline')
        bt, length, dim = x.shape
        x = x.view(bt // num_frames, num_frames, length, dim)
        x = x + self.temporal_embed[:, :num_frames, None, :]
        return x.view(bt, length, dim)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised tokens of every frame: (N, C, T, H, W) -> (N*T, 1 + P + L, D), frames of a clip
        consecutive; (N, C, H, W) -> (N, 1 + P + L, D). Runs each block's temporal branch."""
        is_video = x.ndim == 5
        num_frames = x.shape[2] if is_video else 1
        if is_video:
            x = x.transpose(1, 2).flatten(0, 1)                   # (N*T, C, H, W)
        x = self.embed(x)
        if is_video and self.num_frames > 1:
            x = self.add_temporal_embed(x, num_frames)
        x = self.norm_pre(x)
        for block in self.blocks:
            x = block.forward_checkpointed(x, num_frames) if self.grad_checkpointing and self.training \
                else block(x, num_frames)
        return self.norm(x)

    def forward_intermediates(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refused: timm's version would run the blocks without their temporal branch."""
        raise NotImplementedError("TunableViT.forward_intermediates is not available (timm's would skip the "
                                  'temporal branch of every block); use forward_features for the last tokens, '
                                  'or register a forward hook on backbone.blocks[i] for an intermediate one')

    def forward(self, x: torch.Tensor) -> Union[torch.Tensor, Tuple[torch.Tensor]]:
        """Class features per frame: (N, C, T, H, W) -> (N, D, T, 1, 1) (for mmaction2 heads);
        (N, C, H, W) -> ``((N, D),)`` (for mmpretrain heads)."""
        cls = self.forward_features(x)[:, 0]                      # (N*T, D)
        if x.ndim == 4:
            return (cls,)
        batch, _, num_frames = x.shape[:3]
        return cls.view(batch, num_frames, -1).transpose(1, 2)[..., None, None]
