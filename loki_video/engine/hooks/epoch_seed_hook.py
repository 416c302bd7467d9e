"""Randomness that is a function of the seed and the position in the run, so a resumed run
repeats the uninterrupted one exactly.

mmengine seeds Python's ``random``, numpy and torch once, when the Runner is built, and each
DataLoader worker once, when it starts. A run resumed at epoch k would therefore meet other
generator states than the uninterrupted run, in the main process (dropout, drop path) and in the
workers (augmentation), whose states persistent workers carry from epoch to epoch.
:class:`EpochSeedHook` seeds:

* the main process before every training iteration, from ``(seed, iteration)`` (the run's
  iteration count, so a run resumed mid-epoch draws what the uninterrupted one drew);
* every training sample's pipeline, in whichever process runs it, from ``(seed, epoch, sample
  index)`` (:class:`SampleSeededPipeline`; the epoch reaches persistent workers through shared
  memory).

The sampler's order is already a function of ``seed + epoch`` (mmengine's ``DefaultSampler``).
"""
import ctypes
import multiprocessing
import random
from typing import Callable, Optional

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner, set_random_seed


def derived_seed(*numbers: int) -> int:
    """A 32-bit seed drawn from a sequence of integers (e.g. the run seed, the epoch, an index)."""
    return int(np.random.SeedSequence(list(numbers)).generate_state(1)[0])


class SampleSeededPipeline:
    """Runs ``pipeline`` on a sample with ``random``, numpy and torch seeded from
    ``(seed, epoch, data['sample_idx'])``, as mmengine's ``BaseDataset.get_data_info`` numbers samples.

    Args:
        pipeline (callable): the dataset's pipeline (a ``Compose``).
        seed (int): the run's seed.
        epoch (ctypes.c_int64): the current epoch, a ``multiprocessing.Value`` in shared memory so that workers started
            in an earlier epoch see it.
    """

    def __init__(self, pipeline: Callable[[dict], Optional[dict]], seed: int, epoch: ctypes.c_int64) -> None:
        self.pipeline, self.seed, self.epoch = pipeline, seed, epoch

    def __call__(self, data: dict) -> Optional[dict]:
        seed = derived_seed(self.seed, self.epoch.value, data['sample_idx'])
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        return self.pipeline(data)

    @property
    def transforms(self) -> list:
        """The transforms of the wrapped pipeline (tools that list or wrap them read this)."""
        return self.pipeline.transforms


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Seed the main process per training iteration and each sample per epoch (module docstring),
    through mmengine's ``set_random_seed`` (the rank a part of the derived seed with ``randomness.diff_rank_seed``).

    A training dataset without a ``pipeline`` of its own (a wrapper such as ``RepeatDataset``)
    keeps mmengine's per-worker seeding, which repeats exactly with ``num_workers=0`` or
    ``persistent_workers=False`` only; the hook says so in the log.
    """

    priority = 'VERY_HIGH'

    def __init__(self) -> None:
        self.epoch = None

    def before_train(self, runner: Runner) -> None:
        dataset = runner.train_dataloader.dataset
        if not callable(getattr(dataset, 'pipeline', None)):
            runner.logger.warning(f'EpochSeedHook: {type(dataset).__name__} has no pipeline of its own, so its '
                                  'samples keep per-worker seeds: a resumed run repeats the uninterrupted one '
                                  'only with num_workers=0 or persistent_workers=False')
            return
        self.epoch = multiprocessing.Value('q', 0, lock=False)
        if not isinstance(dataset.pipeline, SampleSeededPipeline):
            dataset.pipeline = SampleSeededPipeline(dataset.pipeline, runner.seed, self.epoch)
        else:
            dataset.pipeline.seed, dataset.pipeline.epoch = runner.seed, self.epoch

    def before_train_epoch(self, runner: Runner) -> None:
        if self.epoch is not None:
            self.epoch.value = runner.epoch

    def before_train_iter(self, runner: Runner, batch_idx: int, data_batch: Optional[dict] = None) -> None:
        randomness = runner.cfg.get('randomness') or {}
        # The rank goes into the derived seed rather than being added to it (set_random_seed's diff_rank_seed):
        # a 32-bit seed plus the rank can pass numpy's largest seed, 2**32 - 1.
        rank = (get_rank(), ) if randomness.get('diff_rank_seed', False) else ()
        set_random_seed(derived_seed(runner.seed, runner.iter, *rank))
