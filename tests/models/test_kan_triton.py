"""The Triton backend of KANLinear against the float64 Cox-de Boor reference (loki_video.analysis.kan_accuracy).

Without a GPU the kernels run in Triton's interpreter on CPU tensors (``TRITON_INTERPRET=1``, set
by conftest.py before anything imports them); with one they run compiled on it.
"""
import os
import subprocess
import sys

import pytest
import torch

from loki_video.analysis.kan_accuracy import CASES, case_errors, case_inputs, weight_gradients_repeat
from loki_video.models.peft import KAN, KANLinear, build_tuning_module

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)

pytest.importorskip('triton')
DEVICE = 'cuda' if torch.cuda.is_available() else 'cpu'


@pytest.mark.parametrize('case', CASES, ids=[case.name for case in CASES])
def test_output_and_gradients_match_cox_de_boor(case):
    errors = case_errors(case, DEVICE)
    assert [e['quantity'] for e in errors] == ['output', 'x', 'base_weight', 'spline_weight', 'spline_scaler']
    for e in errors:
        assert e['error'] <= e['bound'], f"{case.name}, {e['quantity']}: {e['error']:.3g} > {e['bound']:.3g}"


def test_the_cases_cover_the_layouts():
    for case in CASES:
        x, reference = case_inputs(case, DEVICE)
        assert x.is_contiguous() == (case.layout == 'contiguous') == reference.is_contiguous()


def test_autocast_dtype_rules_as_the_closed_form():
    torch.manual_seed(0)
    fused = KANLinear(16, 8, kan_backend='triton').to(DEVICE)
    closed = KANLinear(16, 8, kan_backend='torch').to(DEVICE)
    closed.load_state_dict(fused.state_dict())
    x = torch.randn(30, 16, device=DEVICE)
    with torch.autocast(DEVICE, dtype=torch.bfloat16):
        got, want = fused(x), closed(x)
    assert got.dtype == want.dtype == torch.bfloat16
    torch.testing.assert_close(got.float(), want.float(), rtol=0.02, atol=0.02)  # the base term is a bf16 matmul
    got.float().sum().backward()
    assert all(p.grad.dtype == torch.float32 and p.grad.isfinite().all() for p in fused.parameters())


def test_weight_gradients_are_deterministic_across_row_splits():
    assert weight_gradients_repeat(DEVICE)


def test_no_rows():
    layer = KANLinear(5, 3, kan_backend='triton').to(DEVICE)
    x = torch.zeros(2, 0, 5, device=DEVICE, requires_grad=True)
    y = layer(x)
    assert y.shape == (2, 0, 3)
    y.sum().backward()
    assert x.grad.shape == x.shape and all((p.grad == 0).all() for p in layer.parameters())


def test_same_keys_and_outputs_as_the_closed_form():
    torch.manual_seed(3)
    closed = KAN([10, 4, 10], kan_backend='torch').to(DEVICE)
    fused = KAN([10, 4, 10], kan_backend='triton').to(DEVICE)
    assert fused.state_dict().keys() == closed.state_dict().keys()
    fused.load_state_dict(closed.state_dict())
    x = torch.randn(40, 10, device=DEVICE)
    torch.testing.assert_close(fused(x), closed(x), rtol=1e-5, atol=1e-6)


def test_backend_reaches_every_kan_from_a_slot_config():
    loki = build_tuning_module(dict(type='LoKi', kan_backend='triton'), 64)
    adapter = build_tuning_module(dict(type='KANAdapter', hidden=4, kan_backend='torch'), 64)
    assert [layer.kan_backend for layer in loki.kan.layers] == ['triton', 'triton']
    assert [layer.kan_backend for layer in adapter.kan.layers] == ['torch', 'torch']
    x = torch.randn(3, 5, 64, device=DEVICE, requires_grad=True)
    loki.to(DEVICE)(x).sum().backward()
    assert x.grad.shape == x.shape


def test_auto_takes_triton_only_on_cuda():
    layer = KANLinear(4, 3)
    assert layer.kan_backend == 'auto'
    assert not layer.runs_triton(torch.zeros(2, 4))
    if torch.cuda.is_available():
        assert layer.runs_triton(torch.zeros(2, 4, device='cuda'))
        assert not layer.runs_triton(torch.zeros(2, 4, device='cuda', dtype=torch.float64))


def test_wrong_settings_fail_at_once():
    with pytest.raises(ValueError, match='kan_backend must be one of'):
        KANLinear(4, 3, kan_backend='cuda')
    with pytest.raises(ValueError, match='fuses the SiLU base activation, got GELU'):
        KANLinear(4, 3, base_activation=torch.nn.GELU, kan_backend='triton')
    with pytest.raises(ValueError, match='spline_order up to 5, got 6'):
        KANLinear(4, 3, spline_order=6, kan_backend='triton')
    assert not KANLinear(4, 3, spline_order=6).fusable and not KANLinear(4, 3, base_activation=torch.nn.GELU).fusable
    with pytest.raises(TypeError, match='got torch.float64'):
        KANLinear(4, 3, kan_backend='triton')(torch.zeros(2, 4, dtype=torch.float64))


def test_triton_on_cpu_tensors_without_the_interpreter_says_what_to_do():
    script = ('import torch; from loki_video.models.peft import LoKi\n'
              "LoKi(16, kan_backend='triton')(torch.zeros(2, 16))")
    env = {k: v for k, v in os.environ.items() if k != 'TRITON_INTERPRET'}
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode != 0
    assert "kan_backend='triton' got a CPU tensor" in result.stderr and 'TRITON_INTERPRET=1' in result.stderr


def test_compiles_without_a_graph_break():
    """fullgraph=True fails on any graph break. Under the interpreter only Dynamo's trace (backend 'eager')
    can be checked: AOTAutograd decomposes a triton_op by running its kernels on functional tensors, which
    interpreted kernels cannot (they read the data); on a GPU the test compiles with Inductor."""
    backend = 'inductor' if DEVICE == 'cuda' else 'eager'
    torch.manual_seed(4)
    kan = KAN([6, 4, 6], kan_backend='triton').to(DEVICE)
    x = torch.randn(20, 6, device=DEVICE, requires_grad=True)
    torch._dynamo.reset()
    compiled = torch.compile(kan, fullgraph=True, backend=backend)
    got = compiled(x)
    got.square().sum().backward()
    grads = [p.grad.clone() for p in kan.parameters()]
    kan.zero_grad()
    want = kan(x)
    want.square().sum().backward()
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)
    for got_grad, p in zip(grads, kan.parameters()):
        torch.testing.assert_close(got_grad, p.grad, rtol=1e-5, atol=1e-6)


def test_a_config_trains_on_the_triton_kans_as_on_the_closed_form():
    from mmengine.optim import OptimWrapper

    from loki_video.config import build_model, load_config

    from tiny_runner import TINY_CONFIG, tiny_batch
    losses = {}
    for backend in ('triton', 'torch'):
        options = {f'model.backbone.slots.{slot}.kan_backend': backend for slot in ('temporal', 'spatial', 'mlp')}
        cfg = load_config(str(TINY_CONFIG), {**options, 'model.backbone.drop_path_rate': 0.0,
                                             'model.cls_head.dropout_ratio': 0.0})
        torch.manual_seed(0)
        model = build_model(cfg).to(DEVICE)
        kans = [m for m in model.modules() if isinstance(m, KANLinear)]
        assert len(kans) == 12 and {m.kan_backend for m in kans} == {backend}
        optimizer = OptimWrapper(torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5))
        losses[backend] = [model.train_step(tiny_batch(step), optimizer)['loss'].item() for step in range(2)]
    assert losses['triton'] == pytest.approx(losses['torch'], rel=1e-5)
