"""At initialisation our backbone computes exactly the pretrained image model, frame by frame.

Peers are random-initialised open_clip / timm models (no downloads); their
weights go through every on-disk format the backbone accepts.
"""
import open_clip
import pytest
import timm
import torch
from safetensors.torch import save_file

from loki_video.checkpoints import read_torchscript_tensors
from loki_video.models.backbones import TunableViT

from checkpoint_samples import VisualOnly

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)

NUM_FRAMES = 8
METHOD_SLOTS = {
    'aim': dict(temporal=dict(type='Adapter'), spatial=dict(type='Adapter'), mlp=dict(type='Adapter')),
    'loki': dict(temporal=dict(type='LoKi'), spatial=dict(type='LoKi'), mlp=dict(type='LoKi')),
}


@pytest.fixture(scope='module')
def clip_peer():
    torch.manual_seed(0)
    return open_clip.create_model('ViT-B-16-quickgelu').eval()


@pytest.fixture(scope='module')
def clip_frames():
    torch.manual_seed(1)
    return torch.randn(1, 3, NUM_FRAMES, 224, 224)


def clip_features_before_projection(peer, frames):
    """(1, 3, T, H, W) -> (T, D): the peer's pooled image features without ``proj``."""
    visual = peer.visual
    proj, visual.proj = visual.proj, None
    try:
        with torch.no_grad():
            return visual(frames[0].transpose(0, 1))
    finally:
        visual.proj = proj


def per_frame_features(backbone, frames):
    with torch.no_grad():
        out = backbone.eval()(frames)
    assert out.shape == (1, backbone.embed_dim, NUM_FRAMES, 1, 1)
    return out[0, :, :, 0, 0].t()


@pytest.mark.parametrize('method', sorted(METHOD_SLOTS))
def test_clip_state_dict_matches_open_clip(clip_peer, clip_frames, tmp_path, method):
    path = tmp_path / 'open_clip_vit_b16.pt'
    torch.save(clip_peer.state_dict(), path)
    ours = TunableViT('clip-b16', num_frames=NUM_FRAMES, slots=METHOD_SLOTS[method], pretrained=str(path))
    expected = clip_features_before_projection(clip_peer, clip_frames)
    diff = (per_frame_features(ours, clip_frames) - expected).abs().max().item()
    assert diff < 1e-4, f'{method}: max abs difference {diff}'


def test_openai_torchscript_archive_fp16(clip_peer, clip_frames, tmp_path):
    """OpenAI ships ViT-B-16.pt as a TorchScript archive with fp16 ``visual.*`` weights."""
    peer = VisualOnly(clip_peer.visual)
    scripted = torch.jit.trace(peer, torch.randn(1, 3, 224, 224), check_trace=False).half()
    path = tmp_path / 'ViT-B-16.pt'
    torch.jit.save(scripted, str(path))
    compiled = torch.jit.load(str(path)).state_dict()
    read = read_torchscript_tensors(path)  # what loading uses: no code from the archive runs
    assert next(iter(read)).startswith('visual.') and list(read) == list(compiled)
    assert all(torch.equal(read[k], v) and read[k].dtype == v.dtype == torch.float16 for k, v in compiled.items())

    ours = TunableViT('clip-b16', num_frames=NUM_FRAMES, slots=METHOD_SLOTS['aim'], pretrained=str(path))
    rounded = open_clip.create_model('ViT-B-16-quickgelu').eval()
    rounded.load_state_dict({k: v.half().float() for k, v in clip_peer.state_dict().items()})
    expected = clip_features_before_projection(rounded, clip_frames)
    diff = (per_frame_features(ours, clip_frames) - expected).abs().max().item()
    assert diff < 1e-4, f'max abs difference {diff}'


@pytest.mark.parametrize('method', sorted(METHOD_SLOTS))
def test_in21k_safetensors_matches_timm(clip_frames, tmp_path, method):
    torch.manual_seed(2)
    peer = timm.create_model('vit_base_patch16_224.augreg_in21k', pretrained=False).eval()
    path = tmp_path / 'vit_b16_in21k.safetensors'
    save_file(peer.state_dict(), str(path))
    ours = TunableViT('in21k-b16', num_frames=NUM_FRAMES, slots=METHOD_SLOTS[method], pretrained=str(path))
    with torch.no_grad():
        expected = peer.forward_head(peer.forward_features(clip_frames[0].transpose(0, 1)), pre_logits=True)
    diff = (per_frame_features(ours, clip_frames) - expected).abs().max().item()
    assert diff < 1e-4, f'{method}: max abs difference {diff}'
