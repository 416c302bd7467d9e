"""The KAN kernels' ``tl.dot`` precision follows whichever of torch's two float32 precision APIs the user set, as
torch's own CUDA matmuls do (on a GPU, tests/gpu compares the results with torch's matmuls under each)."""
import pytest
import torch

from loki_video.models.peft import KANLinear

DEVICE = 'cuda' if torch.cuda.is_available() else 'cpu'


@pytest.fixture
def restored_matmul_precision():
    """Whatever a test sets through either precision API is put back afterwards."""
    generic, cuda_matmul = torch.backends.fp32_precision, torch.backends.cuda.matmul.fp32_precision
    yield
    torch.backends.fp32_precision, torch.backends.cuda.matmul.fp32_precision = generic, cuda_matmul


@pytest.mark.parametrize('setting, expected', [
    (lambda: torch.set_float32_matmul_precision('highest'), 'ieee'),
    (lambda: torch.set_float32_matmul_precision('high'), 'tf32'),
    (lambda: setattr(torch.backends.cuda.matmul, 'fp32_precision', 'tf32'), 'tf32'),
    (lambda: setattr(torch.backends.cuda.matmul, 'fp32_precision', 'ieee'), 'ieee'),
    (lambda: (setattr(torch.backends, 'fp32_precision', 'tf32'),
              setattr(torch.backends.cuda.matmul, 'fp32_precision', 'none')), 'tf32'),
    (lambda: (setattr(torch.backends, 'fp32_precision', 'tf32'),
              setattr(torch.backends.cuda.matmul, 'fp32_precision', 'ieee')), 'ieee'),
], ids=['legacy-highest', 'legacy-high', 'new-matmul-tf32', 'new-matmul-ieee', 'new-generic-tf32',
        'matmul-overrides-generic'])
def test_kernel_precision_follows_either_api_as_torch_matmuls_do(restored_matmul_precision, setting, expected):
    from loki_video.models.peft.kan_kernels import _precision
    torch.set_float32_matmul_precision('highest')  # the legacy API first: mixing both made the old code raise
    setting()
    assert _precision() == expected
    layer = KANLinear(16, 8, kan_backend='triton').to(DEVICE)
    assert layer(torch.randn(4, 16, device=DEVICE)).isfinite().all()  # the forward no longer raises
