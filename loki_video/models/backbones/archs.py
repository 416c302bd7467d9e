"""Architectures of the ViT backbone, by name.

Each entry holds the timm ``VisionTransformer`` arguments of the pretrained
model whose weights it loads; ``tiny`` and ``small`` are for tests and demos.
"""
from functools import partial
from typing import Union

from torch import nn

from loki_video.user_error import UserKeyError

ARCHS = {
    # OpenAI CLIP ViT-B/16 image tower: ln_pre, QuickGELU (timm: vit_base_patch16_clip_quickgelu_224).
    'clip-b16': dict(patch_size=16, embed_dim=768, depth=12, num_heads=12, pre_norm=True,
                     act_layer='quick_gelu', norm_eps=1e-5),
    # OpenAI CLIP ViT-L/14 image tower (timm: vit_large_patch14_clip_quickgelu_224).
    'clip-l14': dict(patch_size=14, embed_dim=1024, depth=24, num_heads=16, pre_norm=True,
                     act_layer='quick_gelu', norm_eps=1e-5),
    # ViT-B/16 pretrained on ImageNet-21K (timm: vit_base_patch16_224.augreg_in21k).
    'in21k-b16': dict(patch_size=16, embed_dim=768, depth=12, num_heads=12, pre_norm=False,
                      act_layer='gelu', norm_eps=1e-6),
    'tiny': dict(patch_size=16, embed_dim=64, depth=2, num_heads=2, pre_norm=True,
                 act_layer='quick_gelu', norm_eps=1e-5),
    'small': dict(patch_size=8, embed_dim=128, depth=4, num_heads=4, pre_norm=True,
                  act_layer='quick_gelu', norm_eps=1e-5),
}


def resolve_arch(arch: Union[str, dict]) -> dict:
    """timm ``VisionTransformer`` keyword arguments for ``arch`` (a name above or a dict like one)."""
    if isinstance(arch, str):
        if arch not in ARCHS:
            raise UserKeyError(f'unknown backbone arch {arch!r}; choose from {sorted(ARCHS)} '
                               'or pass a dict with patch_size, embed_dim, depth and num_heads')
        arch = ARCHS[arch]
    spec = dict(ARCHS['tiny'], **arch)
    norm_eps = spec.pop('norm_eps')
    spec['norm_layer'] = partial(nn.LayerNorm, eps=norm_eps)
    return spec
