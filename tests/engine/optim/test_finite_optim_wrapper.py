"""Updates with a non-finite loss or gradient norm are skipped, on every rank alike."""
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


def test_a_non_finite_gradient_norm_is_caught_where_clipping_computes_it():
    """sqrt at 0: the loss is 0, its gradient infinite."""
    weight = torch.nn.Parameter(torch.ones(3))
    optim = wrapper(weight, clip_grad=dict(max_norm=1.0))
    optim.update_params(torch.sqrt(weight - weight.detach()).sum())
    assert optim.skipped_update == 'gradient norm' and optim.skipped_value == float('inf')
    assert torch.equal(weight.detach(), torch.ones(3)) and weight.grad is None
    optim.update_params(weight.sum())
    assert optim.skipped_update is None and not torch.equal(weight.detach(), torch.ones(3))


def rank_decision(rank, port, decisions):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    distributed.init_process_group('gloo', rank=rank, world_size=2)
    weight = torch.nn.Parameter(torch.ones(3))
    optim = wrapper(weight)
    optim.update_params((weight * (float('nan') if rank == 1 else 1.0)).sum())  # NaN on rank 1 only
    decisions.put((rank, optim.skipped_update, weight.detach().tolist()))
    distributed.destroy_process_group()


@pytest.mark.timeout(60)
def test_a_nan_on_one_rank_skips_the_update_on_every_rank():
    fork = multiprocessing.get_context('fork')
    decisions = fork.Queue()
    processes = [fork.Process(target=rank_decision, args=(rank, 29300 + os.getpid() % 500, decisions))
                 for rank in range(2)]
    for process in processes:
        process.start()
    results = sorted(decisions.get(timeout=60) for _ in processes)
    for process in processes:
        process.join()
    assert results == [(0, 'loss', [1.0] * 3), (1, 'loss', [1.0] * 3)]
