"""Updates whose gradients are not finite are skipped, on every rank alike, without a collective of their own,
and a skip drops exactly one accumulation window."""
import math
import multiprocessing
import os

import pytest
import torch
from torch import distributed

from loki_video.engine.optim import FiniteOptimWrapper


def wrapper(parameter, **kwargs):
    return FiniteOptimWrapper(torch.optim.SGD([parameter], lr=0.1), **kwargs)


def test_a_finite_loss_updates_and_a_non_finite_one_leaves_weights_and_gradients_untouched():
    weight = torch.nn.Parameter(torch.ones(3))
    optim = wrapper(weight)
    optim.update_params((weight * 2).sum())
    assert optim.skipped_update is None and torch.allclose(weight, torch.full((3, ), 0.8))
    optim.update_params((weight * float('nan')).sum())
    assert (optim.skipped_update, weight.grad) == ('loss', None)
    assert torch.allclose(weight, torch.full((3, ), 0.8))


def test_a_non_finite_gradient_norm_is_caught_with_clipping():
    """sqrt at 0: the loss is 0, its gradient infinite."""
    weight = torch.nn.Parameter(torch.ones(3))
    optim = wrapper(weight, clip_grad=dict(max_norm=1.0))
    optim.update_params(torch.sqrt(weight - weight.detach()).sum())
    assert optim.skipped_update == 'gradient norm' and not math.isfinite(optim.skipped_value)
    assert torch.equal(weight.detach(), torch.ones(3)) and weight.grad is None
    optim.update_params(weight.sum())
    assert optim.skipped_update is None and not torch.equal(weight.detach(), torch.ones(3))


# Micro-batch losses per rank: ``scale * (weight . x_i)``; rank 1's third micro-batch is NaN.
INPUTS = torch.arange(12, dtype=torch.float32).reshape(6, 2) / 10


def rank_run(rank, port, accumulation, results):
    """Six micro-batches under DDP (gloo, 2 ranks) with ``accumulation`` per update; puts
    ``(rank, skipped per micro-batch, final weight, python-level collectives)``."""
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    distributed.init_process_group('gloo', rank=rank, world_size=2)
    collectives = []
    for name in ('all_reduce', 'all_gather', 'broadcast'):
        real = getattr(distributed, name)
        setattr(distributed, name, lambda *args, real=real, name=name, **kwargs: (collectives.append(name),
                                                                                  real(*args, **kwargs))[1])
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 1, bias=False))
    torch.nn.init.ones_(model.module.weight)
    optim = FiniteOptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1), accumulative_counts=accumulation)
    optim.initialize_count_status(model, 0, len(INPUTS))
    skipped = []
    for index, x in enumerate(INPUTS):
        with optim.optim_context(model):
            loss = model(x[None]).sum() * (float('nan') if (rank, index) == (1, 2) else 1.0)
        optim.update_params(loss)
        skipped.append(optim.skipped_update)
    results.put((rank, skipped, model.module.weight.detach().flatten().tolist(), collectives))
    distributed.destroy_process_group()


def expected_weight(accumulation):
    """SGD over the windows without the one holding micro-batch 2 (the gradient of ``w . x`` is ``x``, averaged
    over ranks: both ranks see the same inputs)."""
    weight = torch.ones(2)
    for start in range(0, len(INPUTS), accumulation):
        window = range(start, start + accumulation)
        if 2 not in window:
            weight -= 0.1 * INPUTS[start:start + accumulation].sum(0) / accumulation
    return weight.tolist()


@pytest.mark.timeout(60)
@pytest.mark.parametrize('accumulation', [1, 2])
def test_a_nan_on_one_rank_skips_its_window_on_every_rank_without_a_collective_of_its_own(accumulation):
    fork = multiprocessing.get_context('fork')
    results = fork.Queue()
    port = 29300 + os.getpid() % 400 + accumulation
    processes = [fork.Process(target=rank_run, args=(rank, port, accumulation, results)) for rank in range(2)]
    for process in processes:
        process.start()
    (_, skipped_0, weight_0, collectives_0), (_, skipped_1, weight_1, collectives_1) = sorted(
        results.get(timeout=60) for _ in processes)
    for process in processes:
        process.join()
    window_end = 2 if accumulation == 1 else 3   # the skip is decided at the window's step
    assert [i for i, s in enumerate(skipped_0) if s] == [i for i, s in enumerate(skipped_1) if s] == [window_end]
    assert (skipped_0[window_end], skipped_1[window_end]) == ('gradient norm', 'loss')
    assert weight_0 == weight_1 and torch.allclose(torch.tensor(weight_0), torch.tensor(expected_weight(accumulation)))
    assert collectives_0 == collectives_1 == []


def test_a_fused_optimizer_skips_on_the_device_with_nothing_read_before_the_step(monkeypatch):
    weight = torch.nn.Parameter(torch.ones(3))
    optim = FiniteOptimWrapper(torch.optim.AdamW([weight], lr=0.1, fused=True))
    reads = []
    for name in ('__bool__', '__float__', 'item'):
        real = getattr(torch.Tensor, name)
        monkeypatch.setattr(torch.Tensor, name, lambda self, *args, real=real, name=name: (reads.append(name),
                                                                                         real(self, *args))[1])
    optim.update_params((weight * float('nan')).sum())
    assert reads == []   # no host sync: the fused kernel reads found_inf on the device
    monkeypatch.undo()
    assert torch.equal(weight.detach(), torch.ones(3)) and optim.optimizer.state[weight]['step'] == 0
    assert optim.skipped_update == 'loss' and math.isnan(optim.skipped_value)   # read after the step
    optim.update_params(weight.sum())
    assert optim.skipped_update is None and not torch.equal(weight.detach(), torch.ones(3))


def test_every_shipped_config_skips_on_the_device():
    """The shipped configs use a fused optimizer, so their skip decision reads nothing before the step."""
    from pathlib import Path

    from mmengine import Config
    configs = [path for path in Path(__file__).parents[3].joinpath('configs').rglob('*.py')
               if '_base_' not in path.parts and path.name != 'grid.py']   # grid.py writes the image configs
    loaded = {path.name: Config.fromfile(path) for path in configs}
    optimizers = {name: cfg.optim_wrapper.optimizer for name, cfg in loaded.items() if 'optim_wrapper' in cfg}
    assert len(optimizers) > 100
    assert {name: optimizer for name, optimizer in optimizers.items() if not optimizer.get('fused')} == {}
