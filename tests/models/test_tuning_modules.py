"""Parameter counts and initial behaviour of the tuning modules."""
from pathlib import Path

import pytest
import torch
from torch import nn

from loki_video.models.peft import Adapter, KANAdapter, LoKi, LoRALinear, PromptTokens, build_tuning_module


def n_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize('module, count', [
    (lambda: LoKi(768), 171_360),
    (lambda: Adapter(768), 295_872),
    (lambda: KANAdapter(768), 168_960),
])
def test_paper_parameter_counts(module, count):
    assert n_params(module()) == count


def test_loki_widths():
    loki = LoKi(768)
    assert (loki.encoder.out_features, loki.decoder.in_features) == (96, 96)
    assert [layer.out_features for layer in loki.kan.layers] == [12, 96]


@pytest.mark.parametrize('cls', [LoKi, Adapter, KANAdapter])
def test_fresh_module_outputs_zero_but_learns(cls):
    torch.manual_seed(0)
    module = cls(32)
    x = torch.randn(4, 7, 32)
    out = module(x)
    assert torch.equal(out, torch.zeros_like(out))
    out.square().add(out).sum().backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())


def test_adapter_is_initialised_as_aims():
    torch.manual_seed(0)
    fc1 = Adapter(768).fc1   # AIM's ViT_CLIP: trunc_normal_(std=.02) and zero bias for every Linear
    assert fc1.weight.std().item() == pytest.approx(0.02, rel=0.02) and fc1.weight.abs().max() < 0.2
    assert torch.equal(fc1.bias, torch.zeros_like(fc1.bias))


def test_unknown_slot_type_names_the_choices():
    with pytest.raises(KeyError, match='LoKi'):
        build_tuning_module(dict(type='Lokki'), 32)


def test_lora_starts_as_the_base_layer_and_merges_exactly():
    torch.manual_seed(0)
    base = nn.Linear(16, 48)
    lora = LoRALinear.from_linear(base, rank=4, alpha=4, dropout=0.0, num_splits=3)
    x = torch.randn(5, 16)
    assert torch.allclose(lora(x), base(x))
    nn.init.normal_(lora.lora_B)
    trained = lora(x)
    assert not torch.allclose(trained, base(x))
    # Each of q, k, v gets its own rank-4 update: block-diagonal B times A.
    delta = lora.delta_weight()
    for split in range(3):
        rows = slice(16 * split, 16 * (split + 1))
        a = lora.lora_A[4 * split:4 * (split + 1)]
        assert torch.allclose(delta[rows], lora.lora_B[rows] @ a)
    lora.merge()
    assert torch.allclose(lora(x), trained, atol=1e-6)
    lora.unmerge()
    assert torch.allclose(lora.weight, base.weight) and torch.allclose(lora(x), trained, atol=1e-6)


def test_lora_parameter_count_per_block():
    attn_like = [LoRALinear(768, 2304, rank=4, num_splits=3), LoRALinear(768, 768, rank=4)]
    assert sum(m.lora_A.numel() + m.lora_B.numel() for m in attn_like) == 4 * (768 * 4 + 4 * 768)


def test_prompt_tokens_sit_after_the_class_token():
    prompt = PromptTokens(8, num_tokens=3, patch_size=4)
    x = torch.randn(2, 5, 8)
    out = prompt(x)
    assert out.shape == (2, 8, 8)
    assert torch.equal(out[:, 0], x[:, 0]) and torch.equal(out[:, 4:], x[:, 1:])
    assert torch.equal(out[0, 1:4], prompt.tokens[0])


USER_MODULE = '''
from mmaction.registry import MODELS
from torch import nn


@MODELS.register_module()
class ScaledLinearSlot(nn.Module):
    """A user's slot module: (..., dim) -> (..., dim), zero at the start."""

    def __init__(self, dim, scale=0.5):
        super().__init__()
        self.linear, self.scale = nn.Linear(dim, dim), scale
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def forward(self, x):
        return self.scale * self.linear(x)
'''


def test_a_module_of_ones_own_fills_a_slot_through_custom_imports(tmp_path, monkeypatch):
    from mmengine.registry import init_default_scope

    from loki_video.config import build_model, load_config
    (tmp_path / 'my_slots.py').write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / 'my_config.py').write_text(
        "_base_ = ['{}']\ncustom_imports = dict(imports=['loki_video.models', 'loki_video.datasets', "
        "'loki_video.engine', 'my_slots'], allow_failed_imports=False)\n"
        "model = dict(backbone=dict(slots=dict(mlp=dict(_delete_=True, type='ScaledLinearSlot', scale=0.25))))\n"
        .format(
            Path('tests/tools/configs/tiny_video.py').resolve()))
    cfg = load_config(str(tmp_path / 'my_config.py'))
    init_default_scope(cfg.default_scope)
    model = build_model(cfg)
    slot = model.backbone.blocks[0].mlp_slot
    assert type(slot).__name__ == 'ScaledLinearSlot' and slot.scale == 0.25 and slot.linear.in_features == 64
    assert type(model.backbone.blocks[0].temporal_slot).__name__ == 'LoKi'     # the other slots as configured
    assert all(p.requires_grad for p in slot.parameters())                   # slots learn
    out = model.backbone(torch.randn(1, 3, 4, 32, 32))
    assert torch.isfinite(out).all()
