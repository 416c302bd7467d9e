"""The paths only a CUDA GPU takes (``make test-gpu``; skipped elsewhere): the KAN's Triton kernels compiled,
under both of torch's float32 precision APIs and in half precision, AMP training steps, a one-GPU torchrun
run through NCCL and the per-attempt store, and the decoder guard forked from a process that holds CUDA.
The kernels' accuracy against float64 Cox-de Boor and their compilation with Inductor
(``test_compiles_without_a_graph_break``) run in tests/models/test_kan_triton.py, on the GPU where there is
one (``make test-gpu`` runs it too)."""
import os
import subprocess
import sys

import pytest
import torch

from loki_video.models.peft import KANLinear

from tiny_runner import ROOT, TINY_CONFIG, tiny_batch, write_pretrained

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA GPU')]


@pytest.fixture
def restored_matmul_precision():
    generic, cuda_matmul = torch.backends.fp32_precision, torch.backends.cuda.matmul.fp32_precision
    yield
    torch.backends.fp32_precision, torch.backends.cuda.matmul.fp32_precision = generic, cuda_matmul


def kan_pair(n_in=96, n_out=12, seed=0):
    """The same KANLinear on the Triton kernels and on torch's closed form, on the GPU."""
    torch.manual_seed(seed)
    fused = KANLinear(n_in, n_out, kan_backend='triton').cuda()
    closed = KANLinear(n_in, n_out, kan_backend='torch').cuda()
    closed.load_state_dict(fused.state_dict())
    return fused, closed


@pytest.mark.parametrize('setting, tf32', [
    (lambda: torch.set_float32_matmul_precision('highest'), False),
    (lambda: torch.set_float32_matmul_precision('high'), True),
    (lambda: setattr(torch.backends.cuda.matmul, 'fp32_precision', 'tf32'), True),
    (lambda: setattr(torch.backends.cuda.matmul, 'fp32_precision', 'ieee'), False),
    (lambda: (setattr(torch.backends, 'fp32_precision', 'tf32'),
              setattr(torch.backends.cuda.matmul, 'fp32_precision', 'none')), True),
], ids=['legacy-highest', 'legacy-high', 'matmul-tf32', 'matmul-ieee', 'generic-tf32'])
def test_kernels_agree_with_torchs_matmuls_under_either_precision_api(restored_matmul_precision, setting, tf32):
    torch.set_float32_matmul_precision('highest')
    setting()
    fused, closed = kan_pair()
    x = torch.randn(12608, 96, device='cuda')
    got, want = fused(x), closed(x)
    tolerance = dict(rtol=2e-2, atol=2e-2) if tf32 else dict(rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(got, want, **tolerance)
    if not tf32:   # TF32 rounds the inputs to 10 bits: ieee must be far closer than that
        assert (got - want).abs().max() < 1e-3


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_half_precision_under_autocast_as_the_closed_form(dtype):
    fused, closed = kan_pair()
    x = torch.randn(4096, 96, device='cuda', requires_grad=True)
    with torch.autocast('cuda', dtype=dtype):
        got, want = fused(x), closed(x)
    assert got.dtype == want.dtype == dtype
    torch.testing.assert_close(got.float(), want.float(), rtol=3e-2, atol=3e-2)
    got.float().square().mean().backward()
    assert x.grad.isfinite().all() and all(p.grad.isfinite().all() for p in fused.parameters())


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_amp_training_steps_of_the_tiny_config_lower_the_loss(dtype):
    from mmengine.optim import AmpOptimWrapper

    from loki_video.config import build_model, load_config
    torch.manual_seed(0)
    model = build_model(load_config(str(TINY_CONFIG), {'model.backbone.pretrained': None})).cuda()
    wrapper = AmpOptimWrapper(optimizer=torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                                          lr=1e-3), dtype=dtype, loss_scale='dynamic')
    batch = tiny_batch(0)
    losses = [float(model.train_step(batch, wrapper)['loss']) for _ in range(8)]
    assert all(torch.isfinite(torch.tensor(losses))) and losses[-1] < losses[0]


def test_one_gpu_torchrun_run_through_nccl(tmp_path):
    from loki_video.datasets.synthetic_actions import generate_dataset
    data = tmp_path / 'data'
    generate_dataset(str(data), dict(train=2, val=1, test=1), num_frames=16, size=(32, 32))
    options = [f'{split}_dataloader.dataset.data_root={data}' for split in ('train', 'val', 'test')]
    env = dict(os.environ, PYTHON=sys.executable, MASTER_ADDR='127.0.0.1', PORT=str(29500 + os.getpid() % 500))
    result = subprocess.run(['bash', 'tools/dist_train.sh', str(TINY_CONFIG), '1', '--work-dir', str(tmp_path / 'run'),
                             '--no-validate', '--cfg-options', 'train_cfg.max_epochs=1',
                             f'model.backbone.pretrained={write_pretrained(tmp_path / "pretrained.pth")}', *options],
                            cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    assert 'nccl' in (result.stdout + result.stderr).lower()
    assert (tmp_path / 'run' / 'epoch_1.pth').is_file()


def test_the_decoder_guard_forks_from_a_process_that_holds_cuda():
    from loki_video.datasets.pipeline_guard import PipelineGuard
    held = torch.ones(1024, device='cuda')   # CUDA initialised in the parent; the child decodes on the CPU
    guard = PipelineGuard(timeout=30)
    try:
        result = guard(lambda data: dict(data, frames=torch.arange(data['n']).sum().item()), dict(n=10))
    finally:
        guard.close()
    assert result['frames'] == 45 and held.sum().item() == 1024
