"""torch.compile of a tiny LoKi recognizer, as tools/train.py --compile and tools/test.py --compile do it."""
import copy
from types import SimpleNamespace

import pytest
import torch
from mmengine.optim import OptimWrapper

from loki_video.config import build_model, load_config
from loki_video.engine.runner import compile_test_step

from tiny_runner import TINY_CONFIG, tiny_batch

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)


def test_compiled_train_and_test_steps_match_eager():
    # no randomness in the step: stochastic depth and head dropout off
    cfg = load_config(str(TINY_CONFIG), {'model.backbone.drop_path_rate': 0.0, 'model.cls_head.dropout_ratio': 0.0})
    torch.manual_seed(0)
    eager = build_model(cfg)
    compiled = copy.deepcopy(eager)
    compiled.train_step = torch.compile(compiled.train_step)  # what mmengine's Runner does for compile=True
    optimizers = [OptimWrapper(torch.optim.SGD([p for p in m.parameters() if p.requires_grad], lr=0.5))
                  for m in (eager, compiled)]
    for step in range(2):  # the second step sees the parameters that the first step's gradients moved
        want = eager.train_step(tiny_batch(step), optimizers[0])['loss']
        got = compiled.train_step(tiny_batch(step), optimizers[1])['loss']
        assert abs(got.item() - want.item()) < 1e-5, (step, got.item(), want.item())
    compile_test_step(compiled, True, SimpleNamespace(info=lambda _: None))  # what LokiVideoRunner.test does first
    assert 'test_step' in vars(compiled)  # the compiled function replaces the method
    compiled.eval(), eager.eval()
    with torch.no_grad():
        want = [s.pred_scores.item for s in eager.test_step(tiny_batch(7))]
        got = [s.pred_scores.item for s in compiled.test_step(tiny_batch(7))]
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-5)
