"""Re-seed the global random generators at the start of every training epoch.

mmengine seeds Python's ``random``, numpy and torch once, when the Runner is
built. A run resumed from the checkpoint of epoch k therefore meets epoch
k + 1 with other generator states than the uninterrupted run, and its
augmentation, dropout and drop-path draws differ. Seeding each epoch from
``(runner.seed, epoch)`` makes every epoch's randomness a function of the
seed and the epoch alone, so a resumed run repeats the uninterrupted one
exactly (with ``num_workers=0`` or non-persistent workers: mmengine seeds
each worker from the seed and the worker id; persistent workers keep their
generator state across epochs, which a restart cannot reproduce).
The sampler order is already epoch-seeded by mmengine's ``DefaultSampler``.
"""
import numpy as np
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import set_random_seed


def epoch_seed(seed, epoch):
    """A 32-bit seed derived from the run seed and the epoch index."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Seed ``random``, numpy and torch (all devices) with ``epoch_seed(runner.seed, runner.epoch)``
    through mmengine's ``set_random_seed`` (plus the rank with ``randomness.diff_rank_seed``)."""

    priority = 'VERY_HIGH'

    def before_train_epoch(self, runner):
        randomness = getattr(runner, '_randomness_cfg', None) or {}
        set_random_seed(epoch_seed(runner.seed, runner.epoch), diff_rank_seed=randomness.get('diff_rank_seed', False))
