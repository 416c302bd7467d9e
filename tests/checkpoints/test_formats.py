"""Checkpoint formats and pretrained loading: AIM official keys, safety, errors that say what is wrong."""
import os
import re
import socket

import pytest
import torch

from loki_video.checkpoints import formats, pretrained
from loki_video.models.backbones import TunableViT

from checkpoint_samples import AIM_SLOTS, aim_official_checkpoint

TINY = dict(arch='tiny', img_size=32, num_frames=4)

def test_aim_official_checkpoint_loads_every_key(tmp_path):
    checkpoint = aim_official_checkpoint()
    path = tmp_path / 'aim_official.pth'
    torch.save(checkpoint, path)
    model = TunableViT(slots=AIM_SLOTS, pretrained=str(path), **TINY)
    sd = checkpoint['state_dict']
    ours = model.state_dict()
    pairs = {
        'cls_token': sd['backbone.class_embedding'].view(1, 1, -1),
        'pos_embed': sd['backbone.positional_embedding'][None],
        'temporal_embed': sd['backbone.temporal_embedding'],
        'norm_pre.weight': sd['backbone.ln_pre.weight'],
        'norm.bias': sd['backbone.ln_post.bias'],
        'blocks.1.attn.qkv.weight': sd['backbone.transformer.resblocks.1.attn.in_proj_weight'],
        'blocks.1.attn.proj.bias': sd['backbone.transformer.resblocks.1.attn.out_proj.bias'],
        'blocks.0.mlp.fc1.weight': sd['backbone.transformer.resblocks.0.mlp.c_fc.weight'],
        'blocks.0.spatial_slot.fc1.weight': sd['backbone.transformer.resblocks.0.S_Adapter.D_fc1.weight'],
        'blocks.0.temporal_slot.fc2.bias': sd['backbone.transformer.resblocks.0.T_Adapter.D_fc2.bias'],
        'blocks.1.temporal_in_slot.fc2.weight': sd['backbone.transformer.resblocks.1.T_Adapter_in.D_fc2.weight'],
        'blocks.1.mlp_slot.fc1.bias': sd['backbone.transformer.resblocks.1.MLP_Adapter.D_fc1.bias'],
    }
    for ours_key, theirs in pairs.items():
        assert torch.equal(ours[ours_key], theirs), ours_key
    # Every tensor of the AIM backbone has a home in ours (none silently dropped).
    converted, fmt = formats.convert_to_backbone(sd, model)
    assert fmt == 'aim'
    assert set(converted) == {k for k in ours if not k.endswith('.grid')}

    full = formats.convert_to_recognizer(sd, model)
    assert torch.equal(full['cls_head.fc_cls.weight'], sd['cls_head.fc_cls.weight'])
    assert torch.equal(full['backbone.blocks.0.spatial_slot.fc1.weight'],
                       sd['backbone.transformer.resblocks.0.S_Adapter.D_fc1.weight'])


def test_wrong_architecture_is_a_clear_error(tmp_path):
    path = tmp_path / 'aim_official.pth'
    torch.save(aim_official_checkpoint(width=64), path)
    with pytest.raises(ValueError, match='does not fit this backbone architecture'):
        TunableViT(arch='small', img_size=32, num_frames=4, pretrained=str(path))


def test_unrelated_file_is_a_clear_error(tmp_path):
    path = tmp_path / 'not_a_vit.pth'
    torch.save({'encoder.weight': torch.zeros(2)}, path)
    with pytest.raises(ValueError, match='unrecognised checkpoint'):
        TunableViT(pretrained=str(path), **TINY)


class RunsCodeWhenUnpickled:
    def __reduce__(self):
        return (os.system, ('touch /tmp/loki_video_pickle_ran',))


def test_pickled_code_is_never_executed(tmp_path):
    marker = '/tmp/loki_video_pickle_ran'
    if os.path.exists(marker):
        os.remove(marker)
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'cls_token': torch.zeros(1)}, 'payload': RunsCodeWhenUnpickled()}, path)
    with pytest.raises(RuntimeError, match='refusing to load'):
        formats.read_state_dict(path)
    assert not os.path.exists(marker)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        TunableViT(pretrained=str(tmp_path / 'nowhere.pth'), **TINY)


def test_known_name_offline_says_where_to_put_the_file(tmp_path, monkeypatch):
    cache = tmp_path / 'clip' / 'ViT-B-16.pt'
    monkeypatch.setitem(pretrained.KNOWN_WEIGHTS, 'openai-clip-vit-b16', (str(cache), 'no_such_timm_model'))
    with pytest.raises(FileNotFoundError) as error:
        pretrained.resolve_source('openai-clip-vit-b16')
    assert str(cache) in str(error.value) and 'pretrained=' in str(error.value)


def test_known_name_offline_fails_at_once_without_a_chained_traceback(tmp_path, monkeypatch):
    cache = tmp_path / 'clip' / 'ViT-B-16.pt'
    monkeypatch.setitem(pretrained.KNOWN_WEIGHTS, 'openai-clip-vit-b16',
                        (str(cache), 'vit_base_patch16_clip_quickgelu_224.openai'))

    def no_network(*args, **kwargs):
        raise OSError('Name or service not known')
    monkeypatch.setattr(socket, 'create_connection', no_network)
    expected = r'out of reach \(offline\)\. Place the file at ' + re.escape(str(cache))
    with pytest.raises(FileNotFoundError, match=expected) as error:
        TunableViT(pretrained='openai-clip-vit-b16', **TINY)
    assert error.value.__cause__ is None


def test_a_file_that_is_no_checkpoint_is_named(tmp_path):
    path = tmp_path / 'notes.pth'
    path.write_text('not weights')
    with pytest.raises(ValueError, match=f'{re.escape(str(path))} is not a checkpoint'):
        TunableViT(pretrained=str(path), **TINY)


def test_missing_and_unexpected_keys_are_reported(tmp_path):
    model = TunableViT(**TINY)
    sd = {k: v for k, v in model.state_dict().items() if k != 'norm.weight'}
    sd['blocks.0.extra.weight'] = torch.zeros(1)
    path = tmp_path / 'ours.pth'
    torch.save(sd, path)
    missing, unexpected = TunableViT(**TINY).load_pretrained_checkpoint(str(path))
    assert missing == ['norm.weight'] and unexpected == ['blocks.0.extra.weight']
