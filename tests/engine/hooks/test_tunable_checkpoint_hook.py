"""Tunable-only checkpoints: what is saved, exact restoration, the frozen weights' digest, strictness."""
import copy
import io
from pathlib import Path

import open_clip
import pytest
import torch
from safetensors.torch import save_file

from loki_video.checkpoints import CheckpointMismatchError, convert_to_backbone, file_sha256, frozen_sha256
from loki_video.checkpoints.formats import read_state_dict
from loki_video.checkpoints.tunable import extract_state_dict
from loki_video.config import load_config
from loki_video.engine.hooks import TunableCheckpointHook

from checkpoint_samples import AIM_SLOTS, VisualOnly, aim_official_checkpoint
from tiny_runner import make_runner, write_pretrained

ROOT = Path(__file__).resolve().parents[3]


def saved_checkpoint(runner):
    """What Runner.save_checkpoint hands to the hooks, after the hook ran (tensors copied)."""
    checkpoint = dict(meta={}, state_dict=copy.deepcopy(runner.model.state_dict()))
    TunableCheckpointHook().before_save_checkpoint(runner, checkpoint)
    return checkpoint


def frozen_and_trainable(model):
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    return frozen, {n for n, p in model.named_parameters() if p.requires_grad}


def test_saves_trainable_parameters_and_buffers_with_the_frozen_weights_digest(tiny_cfg, pretrained_file):
    runner = make_runner(tiny_cfg)
    checkpoint = saved_checkpoint(runner)
    frozen, trainable = frozen_and_trainable(runner.model)
    buffers = set(runner.model.state_dict()) - frozen - trainable
    assert set(checkpoint['state_dict']) == trainable | buffers
    assert frozen and not frozen & set(checkpoint['state_dict'])
    record = checkpoint['meta']['tunable_checkpoint']
    assert record['mode'] == 'tunable' and record['frozen_keys'] == len(frozen)
    assert record['pretrained_file'] == pretrained_file
    assert record['frozen_sha256'] == frozen_sha256(runner.model)


def test_tunable_checkpoint_restores_the_model_exactly(tiny_cfg):
    torch.manual_seed(1)
    trained = make_runner(tiny_cfg)
    checkpoint = saved_checkpoint(trained)
    torch.manual_seed(2)  # other random tunable weights, same pretrained file
    fresh = make_runner(tiny_cfg)
    TunableCheckpointHook().after_load_checkpoint(fresh, checkpoint)
    fresh.model.load_state_dict(checkpoint['state_dict'], strict=True)
    expected = trained.model.state_dict()
    assert all(torch.equal(v, expected[k]) for k, v in fresh.model.state_dict().items())


def test_refuses_a_checkpoint_trained_on_other_frozen_weights(tiny_cfg, tmp_path, pretrained_file):
    trained = make_runner(tiny_cfg)
    checkpoint = saved_checkpoint(trained)
    other = write_pretrained(tmp_path / 'other.pth', seed=1)
    other_cfg = copy.deepcopy(tiny_cfg)
    other_cfg.model.backbone.pretrained = other
    other_runner = make_runner(other_cfg)
    with pytest.raises(RuntimeError) as error:
        TunableCheckpointHook().after_load_checkpoint(other_runner, copy.deepcopy(checkpoint))
    for name in (pretrained_file, frozen_sha256(trained.model), other, frozen_sha256(other_runner.model),
                 'checkpoint_cfg.allow_pretrained_mismatch=True'):
        assert name in str(error.value)
    other_cfg.checkpoint_cfg.allow_pretrained_mismatch = True
    runner = make_runner(other_cfg)
    TunableCheckpointHook().after_load_checkpoint(runner, checkpoint)
    assert runner.logger.records[-1][0] == 'warning'


def test_checkpoints_bound_to_the_file_before_the_digest_existed_still_load(tiny_cfg, tmp_path, pretrained_file):
    checkpoint = saved_checkpoint(make_runner(tiny_cfg))
    record = checkpoint['meta']['tunable_checkpoint']
    record['pretrained_sha256'] = file_sha256(pretrained_file)
    del record['frozen_sha256']
    TunableCheckpointHook().after_load_checkpoint(make_runner(tiny_cfg), copy.deepcopy(checkpoint))
    tiny_cfg.model.backbone.pretrained = write_pretrained(tmp_path / 'other.pth', seed=1)
    with pytest.raises(RuntimeError, match=f"file sha256 {record['pretrained_sha256']}"):
        TunableCheckpointHook().after_load_checkpoint(make_runner(tiny_cfg), checkpoint)


def same_weights_in_two_layouts(folder, backbone):
    """An OpenAI-layout TorchScript archive (fp16) of a random tiny CLIP tower, and a timm-layout
    safetensors file (fp32) of the same weights: two files, two SHA-256s, one set of weights."""
    torch.manual_seed(4)
    visual = open_clip.transformer.VisionTransformer(image_size=32, patch_size=16, width=64, layers=2, heads=2,
                                                     mlp_ratio=4.0, output_dim=64,
                                                     act_layer=open_clip.transformer.QuickGELU)
    archive = folder / 'ViT-tiny.pt'
    traced = torch.jit.trace(VisualOnly(visual).eval(), torch.randn(1, 3, 32, 32), check_trace=False).half()
    torch.jit.save(traced, str(archive))
    converted, fmt = convert_to_backbone(read_state_dict(archive), backbone)
    assert fmt == 'openai'
    safetensors = folder / 'vit_tiny.safetensors'
    save_file({key: value.float().contiguous() for key, value in converted.items()}, str(safetensors))
    return str(archive), str(safetensors)


def test_the_same_weights_in_another_file_format_are_accepted_and_perturbed_ones_refused(tiny_cfg, tmp_path):
    archive, safetensors = same_weights_in_two_layouts(tmp_path, make_runner(tiny_cfg).model.backbone)
    assert file_sha256(archive) != file_sha256(safetensors)
    for trained_on, loaded_on in ((archive, safetensors), (safetensors, archive)):
        tiny_cfg.model.backbone.pretrained = trained_on
        torch.manual_seed(5)
        trained = make_runner(tiny_cfg)
        checkpoint = saved_checkpoint(trained)
        tiny_cfg.model.backbone.pretrained = loaded_on
        fresh = make_runner(tiny_cfg)
        TunableCheckpointHook().after_load_checkpoint(fresh, checkpoint)
        fresh.model.load_state_dict(checkpoint['state_dict'], strict=True)
        expected = trained.model.state_dict()
        assert all(torch.equal(v, expected[k]) for k, v in fresh.model.state_dict().items())
    perturbed = read_state_dict(safetensors)
    perturbed['blocks.1.mlp.fc2.bias'][3] += 1e-3
    save_file(perturbed, str(tmp_path / 'perturbed.safetensors'))
    tiny_cfg.model.backbone.pretrained = str(tmp_path / 'perturbed.safetensors')
    with pytest.raises(RuntimeError, match='perturbed.safetensors .frozen weights sha256'):
        TunableCheckpointHook().after_load_checkpoint(make_runner(tiny_cfg), saved_checkpoint(trained))


def test_without_pretrained_file_saves_everything_and_says_so(tiny_cfg):
    tiny_cfg.model.backbone.pretrained = None
    runner = make_runner(tiny_cfg)
    checkpoint = saved_checkpoint(runner)
    assert checkpoint['state_dict'].keys() == runner.model.state_dict().keys()
    assert checkpoint['meta']['tunable_checkpoint'] == dict(mode='full')
    assert any('model.backbone.pretrained is None' in message for _, message in runner.logger.records)


def test_full_mode_saves_everything(tiny_cfg):
    tiny_cfg.checkpoint_cfg = dict(mode='full')
    runner = make_runner(tiny_cfg)
    assert saved_checkpoint(runner)['state_dict'].keys() == runner.model.state_dict().keys()


def test_loading_names_missing_unexpected_and_mismatched_tensors(tiny_cfg):
    tiny_cfg.checkpoint_cfg = dict(mode='full')
    runner = make_runner(tiny_cfg)
    checkpoint = saved_checkpoint(runner)
    del checkpoint['state_dict']['backbone.norm.weight']
    checkpoint['state_dict']['backbone.extra'] = torch.zeros(1)
    checkpoint['state_dict']['backbone.norm.bias'] = torch.zeros(3)
    with pytest.raises(CheckpointMismatchError, match=r'missing \[backbone.norm.weight\]; unexpected '
                       r'\[backbone.extra\]; shape mismatch \[backbone.norm.bias: checkpoint \(3,\), model \(64,\)\]'
                       ) as error:
        TunableCheckpointHook().after_load_checkpoint(runner, checkpoint)
    assert 'reinit' not in str(error.value)  # not only the head: nothing to start afresh
    tiny_cfg.checkpoint_cfg = dict(strict=False)  # the old way to load partly random weights is refused
    with pytest.raises(ValueError, match='checkpoint_cfg.strict is gone'):
        TunableCheckpointHook().after_load_checkpoint(runner, saved_checkpoint(runner))


def test_head_of_another_size_is_refused_unless_started_afresh(tiny_cfg):
    trained = make_runner(tiny_cfg)  # 8 classes
    checkpoint = saved_checkpoint(trained)
    tiny_cfg.model.cls_head.num_classes = 4
    torch.manual_seed(3)
    runner = make_runner(tiny_cfg)
    with pytest.raises(CheckpointMismatchError, match=r'cls_head.fc_cls.weight: checkpoint \(8, 64\), model '
                       r"\(4, 64\).*checkpoint_cfg.reinit=\['cls_head'\]"):
        TunableCheckpointHook().after_load_checkpoint(runner, copy.deepcopy(checkpoint))
    tiny_cfg.checkpoint_cfg = dict(reinit='cls_head')
    head = copy.deepcopy(runner.model.cls_head.state_dict())
    TunableCheckpointHook().after_load_checkpoint(runner, checkpoint)
    runner.model.load_state_dict(checkpoint['state_dict'], strict=True)
    assert all(torch.equal(v, head[k]) for k, v in runner.model.cls_head.state_dict().items())
    expected = trained.model.state_dict()
    assert all(torch.equal(v, expected[k]) for k, v in runner.model.state_dict().items() if k.startswith('backbone.'))
    assert runner.logger.records[-1] == (
        'warning', 'checkpoint_cfg.reinit: 2 tensors keep their initial values '
        '(not loaded from the checkpoint): cls_head.fc_cls.bias, cls_head.fc_cls.weight')
    with pytest.raises(ValueError, match=r"reinit names \['head'\], which the model does not have"):
        tiny_cfg.checkpoint_cfg = dict(reinit=['head'])
        TunableCheckpointHook().after_load_checkpoint(runner, saved_checkpoint(trained))


def test_reinit_does_not_apply_when_resuming(tiny_cfg, tmp_path):
    checkpoint = saved_checkpoint(make_runner(tiny_cfg))
    tiny_cfg.model.cls_head.num_classes = 4
    tiny_cfg.checkpoint_cfg = dict(reinit=['cls_head'])
    tiny_cfg.resume = True
    runner = make_runner(tiny_cfg)
    with pytest.raises(CheckpointMismatchError, match='cls_head.fc_cls.weight'):
        TunableCheckpointHook().after_load_checkpoint(runner, checkpoint)


def test_another_tuning_method_is_refused_without_a_way_to_random_weights(tiny_cfg):
    checkpoint = saved_checkpoint(make_runner(tiny_cfg))  # LoKi slots
    aim_cfg = copy.deepcopy(tiny_cfg)
    aim_cfg.model.backbone.slots = dict(temporal=dict(type='Adapter', ratio=0.25))
    with pytest.raises(CheckpointMismatchError, match=r'missing \[backbone.blocks.0.temporal_slot.fc1.bias') as error:
        TunableCheckpointHook().after_load_checkpoint(make_runner(aim_cfg), checkpoint)
    assert 'strict' not in str(error.value) and 'reinit' not in str(error.value)


def test_flat_ddp_state_dicts_are_unwrapped():
    checkpoint = {'module.backbone.norm.weight': torch.ones(2)}
    state_dict = extract_state_dict(checkpoint, torch.nn.Module())
    assert list(checkpoint) == ['state_dict'] and list(state_dict) == ['backbone.norm.weight']


def test_aim_released_checkpoint_loads_into_the_aim_recognizer(tiny_cfg):
    checkpoint = aim_official_checkpoint(width=64, depth=2, frames=4, classes=8)
    tiny_cfg.model.backbone.slots = AIM_SLOTS
    runner = make_runner(tiny_cfg)
    TunableCheckpointHook().after_load_checkpoint(runner, checkpoint)
    runner.model.load_state_dict(checkpoint['state_dict'], strict=True)
    qkv = checkpoint['state_dict']['backbone.blocks.1.attn.qkv.weight']
    assert torch.equal(runner.model.backbone.blocks[1].attn.qkv.weight, qkv)


def test_loki_vit_b16_kinetics_checkpoint_is_tens_of_megabytes(tmp_path):
    pretrained = tmp_path / 'cls_token_only.pth'  # enough for a hash; the rest stays random
    torch.save({'cls_token': torch.zeros(1, 1, 768)}, pretrained)
    cfg = load_config(str(ROOT / 'configs' / 'loki_k400_8x1x1.py'), {'model.backbone.pretrained': str(pretrained)})
    runner = make_runner(cfg)
    buffer = io.BytesIO()
    torch.save(saved_checkpoint(runner), buffer)
    full_bytes = sum(t.numel() * t.element_size() for t in runner.model.state_dict().values())
    assert full_bytes > 340e6
    assert 20e6 < buffer.tell() < 30e6  # 6.48 M tunable parameters in fp32 plus KAN grids
