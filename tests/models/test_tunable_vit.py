"""The slot-holding ViT: shapes, AIM block arithmetic, temporal branch, freeze policy."""
import pytest
import torch
from torch import nn

from loki_video.models.backbones import TunableViT
from loki_video.models.peft.freeze_policy import report_group

SLOTS = dict(temporal=dict(type='Adapter'), spatial=dict(type='Adapter'), mlp=dict(type='Adapter'))


def perturb_slots(model):
    """Give every zero-initialised slot output layer random weights, so slots matter."""
    torch.manual_seed(3)
    for name, param in model.named_parameters():
        if '_slot.' in name:
            nn.init.normal_(param, std=0.2)


@pytest.mark.parametrize('frames', [8, 16])
def test_video_shapes_at_224(frames):
    model = TunableViT('tiny', num_frames=frames, slots=SLOTS)
    out = model(torch.randn(2, 3, frames, 224, 224))
    assert out.shape == (2, 64, frames, 1, 1)


def test_image_input_returns_features_for_mmpretrain():
    model = TunableViT('tiny', num_frames=1, slots=SLOTS, mlp_scale=2.0)
    feats = model(torch.randn(3, 3, 224, 224))
    assert isinstance(feats, tuple) and feats[0].shape == (3, 64)
    assert not hasattr(model, 'temporal_embed')


def test_single_frame_skips_the_temporal_branch():
    model = TunableViT('tiny', img_size=32, num_frames=4, slots=SLOTS).eval()
    perturb_slots(model)
    image = torch.randn(2, 3, 32, 32)
    as_clip = model(image[:, :, None])[..., 0, 0, 0]
    as_image = model(image)[0]
    assert torch.allclose(as_clip, as_image, atol=1e-6)
    model.blocks[0].temporal_slot = None
    assert torch.allclose(model(image[:, :, None])[..., 0, 0, 0], as_image, atol=1e-6)


def test_temporal_branch_mixes_frames_only_when_present():
    model = TunableViT('tiny', img_size=32, num_frames=4, slots=SLOTS).eval()
    perturb_slots(model)
    clip = torch.randn(1, 3, 4, 32, 32)
    changed = clip.clone()
    changed[:, :, 3] = torch.randn(3, 32, 32)
    # Frame 0's feature depends on frame 3 through temporal attention ...
    assert not torch.allclose(model(clip)[0, :, 0], model(changed)[0, :, 0])
    for block in model.blocks:
        block.temporal_slot = None
    # ... and is per-frame without the temporal slot.
    assert torch.allclose(model(clip)[0, :, 0], model(changed)[0, :, 0], atol=1e-6)


def test_block_follows_aim_arithmetic():
    """x += T(attn_t(norm1 x)); a = attn(norm1 x); x += a + S(a); h = norm2 x; x += mlp(h) + s M(h)."""
    model = TunableViT('tiny', img_size=32, num_frames=3, slots=dict(SLOTS, temporal_in=dict(type='LoKi')),
                       mlp_scale=0.5).eval()
    perturb_slots(model)
    block = model.blocks[0]
    batch, frames, tokens, dim = 2, 3, 5, 64
    x = torch.randn(batch * frames, tokens, dim)

    expected = x.clone()
    for b in range(batch):
        for n in range(tokens):
            seq = x.view(batch, frames, tokens, dim)[b, :, n][None]          # (1, T, D)
            h = block.norm1(seq)
            h = h + block.temporal_in_slot(h)
            expected.view(batch, frames, tokens, dim)[b, :, n] += block.temporal_slot(block.attn(h))[0]
    a = block.attn(block.norm1(expected))
    expected = expected + a + block.spatial_slot(a)
    h = block.norm2(expected)
    expected = expected + block.mlp(h) + 0.5 * block.mlp_slot(h)

    assert torch.allclose(block(x, frames), expected, atol=1e-5)


def test_wrong_clip_length_says_what_to_set():
    model = TunableViT('tiny', img_size=32, num_frames=8)
    with pytest.raises(ValueError, match='num_frames=8'):
        model(torch.randn(1, 3, 5, 32, 32))


def test_other_resolutions_interpolate_positions():
    model = TunableViT('tiny', img_size=32, num_frames=2, slots=SLOTS)
    assert model(torch.randn(1, 3, 2, 64, 96)).shape == (1, 64, 2, 1, 1)


def test_timms_grad_checkpointing_switch_checkpoints_every_block(monkeypatch):
    model = TunableViT('tiny', img_size=32, num_frames=2, slots=SLOTS, with_cp=True)
    assert model.grad_checkpointing
    calls = []
    original = type(model.blocks[0]).forward_checkpointed
    monkeypatch.setattr(type(model.blocks[0]), 'forward_checkpointed',
                        lambda block, *args: calls.append(block) or original(block, *args))
    clip = torch.randn(1, 3, 2, 32, 32)
    model(clip)
    assert len(calls) == len(model.blocks)
    model.set_grad_checkpointing(False)
    model(clip)
    assert len(calls) == len(model.blocks)


def test_forward_features_runs_the_temporal_branch_and_intermediates_are_refused():
    model = TunableViT('tiny', img_size=32, num_frames=2, slots=SLOTS).eval()
    perturb_slots(model)
    clip = torch.randn(1, 3, 2, 32, 32)
    with torch.no_grad():
        tokens = model.forward_features(clip)
        assert tokens.shape == (2, 5, 64)
        assert torch.allclose(model.forward_head(tokens), model(clip)[0, :, :, 0, 0].T, atol=1e-6)
        other = clip.clone()
        other[:, :, 1] += 1  # another second frame changes the first frame's tokens through time attention
        assert not torch.allclose(model.forward_features(other)[0], tokens[0], atol=1e-3)
    with pytest.raises(NotImplementedError, match='temporal branch'):
        model.forward_intermediates(clip)


def test_mmengine_weight_initialisation_keeps_the_built_weights(tiny_cfg):
    from loki_video.config import build_model
    model = build_model(tiny_cfg)  # pretrained weights loaded at build time
    built = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    model.init_weights()  # what the Runner runs when training starts
    assert all(torch.equal(v, built[k]) for k, v in model.backbone.state_dict().items())


def test_activation_checkpointing_gives_the_same_gradients():
    torch.manual_seed(0)
    plain = TunableViT('tiny', img_size=32, num_frames=2, slots=SLOTS)
    perturb_slots(plain)
    checkpointed = TunableViT('tiny', img_size=32, num_frames=2, slots=SLOTS, with_cp=True)
    checkpointed.load_state_dict(plain.state_dict())
    clip = torch.randn(2, 3, 2, 32, 32)
    grads = []
    for model in (plain, checkpointed):
        model(clip).sum().backward()
        grads.append(model.blocks[0].mlp_slot.fc1.weight.grad)
    assert torch.allclose(*grads, atol=1e-6)


METHODS = {
    'aim': (dict(slots=SLOTS), {'temporal_slot', 'spatial_slot', 'mlp_slot', 'temporal_embed', 'final_norm'}),
    'linear': (dict(trainable=()), set()),
    'full': (dict(trainable=('all',)), {'pretrained', 'temporal_embed', 'final_norm'}),
    'lora': (dict(lora=dict(rank=4), trainable=('lora',)), {'lora'}),
    'prompt': (dict(num_prompts=10, trainable=('prompt',)), {'prompt'}),
}


@pytest.mark.parametrize('method', sorted(METHODS))
def test_freeze_policy(method):
    options, groups = METHODS[method]
    model = TunableViT('tiny', img_size=32, num_frames=2, **options)
    tunable = {report_group(n) for n, p in model.named_parameters() if p.requires_grad}
    assert tunable == groups


def test_bias_tuning_trains_exactly_the_biases():
    model = TunableViT('tiny', img_size=32, num_frames=2, trainable=('bias',))
    for name, param in model.named_parameters():
        assert param.requires_grad == name.endswith('.bias'), name


def test_unknown_trainable_group_is_rejected():
    with pytest.raises(ValueError, match='unknown trainable group'):
        TunableViT('tiny', img_size=32, num_frames=2, trainable=('slot',))
