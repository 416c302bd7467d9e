"""Class-token attention capture: spatial calls only, exact values, maps, rollout, clean exit."""
import pytest
import torch
from torch import nn

from loki_video.models.backbones import TunableViT
from loki_video.visualization.attention import SpatialAttentionRecorder, attention_rollout, class_attention

LOKI = dict(type='LoKi', r1=1 / 4, r2=1 / 4)
SLOTS = dict(temporal=LOKI, spatial=LOKI, mlp=LOKI)


def video_backbone(num_frames=4, num_prompts=0, img_size=32):
    """Tiny TunableViT (patch 16, 2 blocks) with random, non-zero slots."""
    torch.manual_seed(0)
    model = TunableViT('tiny', img_size=img_size, num_frames=num_frames, slots=SLOTS, num_prompts=num_prompts)
    for name, param in model.named_parameters():
        if '_slot.' in name:
            nn.init.normal_(param, std=0.2)
    return model.eval()


def reference_spatial_attention(backbone, clip):
    """Head-averaged spatial attention of each block, computed from the inputs of its attention calls.

    The spatial call of a block is its last one (the temporal branch runs first).
    """
    inputs = {}
    hooks = [block.attn.register_forward_hook(
        lambda module, args, out, i=i: inputs.setdefault(i, []).append(args[0])) for i, block in
        enumerate(backbone.blocks)]
    with torch.no_grad():
        backbone(clip)
    for hook in hooks:
        hook.remove()
    expected = {}
    for i, block in enumerate(backbone.blocks):
        x = inputs[i][-1]
        attn = block.attn
        q, k, _ = attn.qkv(x).reshape(*x.shape[:2], 3, attn.num_heads, attn.head_dim).permute(2, 0, 3, 1, 4)
        expected[i] = ((q @ k.transpose(-2, -1)) * attn.scale).softmax(-1).mean(1)
    return expected


@pytest.mark.parametrize('num_frames, num_prompts', [(4, 0), (5, 0), (3, 2)])
def test_records_exactly_the_spatial_attention(num_frames, num_prompts):
    """(5, 0): 5 frames and 1 + 4 tokens, so temporal and spatial calls have the same shape."""
    backbone = video_backbone(num_frames, num_prompts)
    clip = torch.randn(2, 3, num_frames, 32, 32)
    expected = reference_spatial_attention(backbone, clip)
    with SpatialAttentionRecorder(backbone) as recorder, torch.no_grad():
        backbone(clip)
    length = 1 + num_prompts + 4
    for i in range(len(backbone.blocks)):
        assert recorder.attentions[i].shape == (2 * num_frames, length, length)
        assert torch.allclose(recorder.attentions[i], expected[i], atol=1e-5)
    assert recorder.grid == (2, 2)


def test_maps_leave_out_class_and_prompt_tokens_and_sum_to_one():
    backbone = video_backbone(num_frames=4, num_prompts=3)
    with SpatialAttentionRecorder(backbone) as recorder, torch.no_grad():
        backbone(torch.randn(1, 3, 4, 32, 32))
    for mode in ('last', 'rollout'):
        maps = recorder.class_maps(mode)
        assert maps.shape == (4, 2, 2)
        assert (maps >= 0).all()
        assert torch.allclose(maps.sum((1, 2)), torch.ones(4), atol=1e-6)
    last = recorder.attentions[1]
    assert torch.allclose(recorder.class_maps('last').flatten(1), last[:, 0, 4:] / last[:, 0, 4:].sum(-1, keepdim=True))
    assert not torch.allclose(recorder.class_maps('last', layer=0), recorder.class_maps('last', layer=1))


def test_twice_the_resolution_doubles_the_patch_grid():
    backbone = video_backbone(num_frames=4)
    with SpatialAttentionRecorder(backbone, layers=[-1]) as recorder, torch.no_grad():
        backbone(torch.randn(1, 3, 4, 64, 64))
    maps = recorder.class_maps('last')
    assert maps.shape == (4, 4, 4)
    assert torch.allclose(maps.sum((1, 2)), torch.ones(4), atol=1e-6)


def test_image_backbone_gives_one_map_per_image():
    torch.manual_seed(0)
    backbone = TunableViT('tiny', img_size=32, num_frames=1).eval()
    with SpatialAttentionRecorder(backbone) as recorder, torch.no_grad():
        backbone(torch.randn(3, 3, 48, 32))
    assert recorder.class_maps('rollout').shape == (3, 3, 2)


def test_nothing_stays_attached_and_outputs_are_unchanged():
    backbone = video_backbone()
    clip = torch.randn(1, 3, 4, 32, 32)
    fused = [block.attn.fused_attn for block in backbone.blocks]
    with torch.no_grad():
        plain = backbone(clip)
    with SpatialAttentionRecorder(backbone, layers=[0]) as recorder, torch.no_grad():
        assert backbone.blocks[0].attn.fused_attn is False
        assert backbone.blocks[1].attn.fused_attn == fused[1]          # unrecorded blocks stay fused
        assert backbone.blocks[0].attn.attn_drop._forward_hooks
        recorded = backbone(clip)
    assert torch.allclose(plain, recorded, atol=1e-5)
    assert list(recorder.attentions) == [0]
    with pytest.raises(ZeroDivisionError):
        with SpatialAttentionRecorder(backbone):
            1 / 0
    modules = [backbone.patch_embed] + [m for block in backbone.blocks for m in (block, block.attn.attn_drop)]
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in modules)
    assert [block.attn.fused_attn for block in backbone.blocks] == fused


def test_rollout_adds_the_residual_and_multiplies_layers():
    uniform = torch.full((1, 3, 3), 1 / 3)
    one = attention_rollout([uniform])
    assert torch.allclose(one, (uniform + torch.eye(3)) / 2)
    two = attention_rollout([uniform, uniform])
    assert torch.allclose(two, one @ one)
    assert torch.allclose(two.sum(-1), torch.ones(1, 3))
    assert torch.allclose(class_attention(two, 2).sum(-1), torch.ones(1))


def test_errors_name_the_problem():
    backbone = video_backbone()
    with pytest.raises(IndexError, match='2 blocks'):
        SpatialAttentionRecorder(backbone, layers=[5])
    with SpatialAttentionRecorder(backbone, layers=[0]) as recorder:
        with pytest.raises(RuntimeError, match='no attention recorded'):
            recorder.class_maps()
        with torch.no_grad():
            backbone(torch.randn(1, 3, 4, 32, 32))
    with pytest.raises(KeyError, match='block 1 was not recorded'):
        recorder.class_maps('last', layer=-1)
    with pytest.raises(ValueError, match='choose from'):
        recorder.class_maps('mean', layer=0)
