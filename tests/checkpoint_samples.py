"""Checkpoints laid out as other codebases release them, made from random tensors."""
import torch
from torch import nn

AIM_SLOTS = dict(temporal=dict(type='Adapter'), spatial=dict(type='Adapter'), mlp=dict(type='Adapter'),
                 temporal_in=dict(type='Adapter'))
TINY = dict(arch='tiny', img_size=32, num_frames=4)


def aim_official_checkpoint(width=64, depth=2, frames=4, classes=5):
    """A checkpoint laid out like AIM's released models (vit_clip.py + mmaction 0.x recognizer)."""
    torch.manual_seed(0)
    sd = {'backbone.conv1.weight': torch.randn(width, 3, 16, 16),
          'backbone.class_embedding': torch.randn(width),
          'backbone.positional_embedding': torch.randn(5, width),
          'backbone.temporal_embedding': torch.randn(1, frames, width),
          'backbone.ln_pre.weight': torch.randn(width), 'backbone.ln_pre.bias': torch.randn(width),
          'backbone.ln_post.weight': torch.randn(width), 'backbone.ln_post.bias': torch.randn(width),
          'cls_head.fc_cls.weight': torch.randn(classes, width), 'cls_head.fc_cls.bias': torch.randn(classes)}
    for i in range(depth):
        p = f'backbone.transformer.resblocks.{i}.'
        sd.update({p + 'attn.in_proj_weight': torch.randn(3 * width, width),
                   p + 'attn.in_proj_bias': torch.randn(3 * width),
                   p + 'attn.out_proj.weight': torch.randn(width, width),
                   p + 'attn.out_proj.bias': torch.randn(width),
                   p + 'ln_1.weight': torch.randn(width), p + 'ln_1.bias': torch.randn(width),
                   p + 'ln_2.weight': torch.randn(width), p + 'ln_2.bias': torch.randn(width),
                   p + 'mlp.c_fc.weight': torch.randn(4 * width, width), p + 'mlp.c_fc.bias': torch.randn(4 * width),
                   p + 'mlp.c_proj.weight': torch.randn(width, 4 * width), p + 'mlp.c_proj.bias': torch.randn(width)})
        for adapter in ('S_Adapter', 'T_Adapter', 'T_Adapter_in', 'MLP_Adapter'):
            sd.update({p + f'{adapter}.D_fc1.weight': torch.randn(width // 4, width),
                       p + f'{adapter}.D_fc1.bias': torch.randn(width // 4),
                       p + f'{adapter}.D_fc2.weight': torch.randn(width, width // 4),
                       p + f'{adapter}.D_fc2.bias': torch.randn(width)})
    return {'state_dict': sd, 'meta': {'epoch': 30}}


class VisualOnly(nn.Module):
    """A CLIP image tower under ``visual``: its archive's keys read ``visual.*`` as OpenAI's do."""

    def __init__(self, visual):
        super().__init__()
        self.visual = visual

    def forward(self, x):
        return self.visual(x)
