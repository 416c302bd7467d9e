"""A sampler that can resume in the middle of an epoch, for mid-epoch checkpoints.

mmengine's ``DefaultSampler`` orders an epoch from ``seed + epoch`` and deals that order out to the
ranks in turn: after ``b`` batches of ``batch_size`` on each of ``world_size`` ranks, exactly the
first ``b * batch_size * world_size`` indices of the epoch's order have been trained, whatever the
rank. A mid-epoch checkpoint records that global position
(:class:`~loki_video.engine.hooks.SafeCheckpointHook`); a run resumed from it, with the same or
another number of processes or batch size, deals out the rest of the order
(:meth:`ResumableSampler.skip`), so every remaining index is trained once, as in any epoch
(``round_up`` repeats up to ``world_size - 1`` of them so that every rank gets as many).
"""
import math
from typing import Any, Iterator, List

import torch
from mmengine.dataset import DefaultSampler
from mmengine.registry import DATA_SAMPLERS

from loki_video.user_error import UserValueError


@DATA_SAMPLERS.register_module()
class ResumableSampler(DefaultSampler):
    """``DefaultSampler`` (same arguments, same order) whose epoch ``e`` can start at a global position
    of its order (:meth:`skip`); other epochs are whole."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.skipped_epoch, self.skipped_samples = -1, 0

    def skip(self, epoch: int, num_samples: int) -> None:
        """Leave out the first ``num_samples`` indices of epoch ``epoch``'s order (all ranks together)."""
        if not 0 <= num_samples < len(self.dataset):
            raise UserValueError(f'cannot resume after {num_samples} samples of an epoch of {len(self.dataset)}: the '
                                 'checkpoint was saved with another dataset; resume from an epoch checkpoint instead')
        self.skipped_epoch, self.skipped_samples = epoch, num_samples

    def skipped_now(self) -> int:
        """Indices of the current epoch's order left out (0 in epochs other than the skipped one)."""
        return self.skipped_samples if self.epoch == self.skipped_epoch else 0

    def position(self, batches: int, batch_size: int) -> int:
        """The global position in the current epoch's order after ``batches`` batches of this iteration."""
        return self.skipped_now() + batches * batch_size * self.world_size

    def _order(self) -> List[int]:
        """The epoch's order of all indices, as ``DefaultSampler`` draws it."""
        if self.shuffle:
            generator = torch.Generator()
            generator.manual_seed(self.seed + self.epoch)
            return torch.randperm(len(self.dataset), generator=generator).tolist()
        return list(range(len(self.dataset)))

    def __iter__(self) -> Iterator[int]:
        if not self.skipped_now():
            return super().__iter__()
        remaining = self._order()[self.skipped_now():]
        if self.round_up:
            total = len(self) * self.world_size
            remaining = (remaining * math.ceil(total / len(remaining)))[:total]
        return iter(remaining[self.rank::self.world_size])

    def __len__(self) -> int:
        if not self.skipped_now():
            return self.num_samples
        remaining = len(self.dataset) - self.skipped_now()
        if self.round_up:
            return math.ceil(remaining / self.world_size)
        return math.ceil(max(remaining - self.rank, 0) / self.world_size)
