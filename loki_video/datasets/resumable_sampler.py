"""A sampler that can resume in the middle of an epoch, for mid-epoch checkpoints.

mmengine's ``DefaultSampler`` yields a rank's indices of an epoch from ``seed + epoch``; a run
resumed from a checkpoint saved after ``b`` batches of epoch ``e`` must yield the same indices
without their first ``b * batch_size`` (:class:`~loki_video.engine.hooks.SafeCheckpointHook`
calls :meth:`ResumableSampler.skip` when it resumes), so that the resumed run sees exactly the
batches the uninterrupted one saw next.
"""
from typing import Any, Iterator

from mmengine.dataset import DefaultSampler
from mmengine.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class ResumableSampler(DefaultSampler):
    """``DefaultSampler`` (same arguments, same order) whose epoch ``e`` can start after its first
    ``n`` indices of this rank (:meth:`skip`); other epochs are whole."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.skipped_epoch, self.skipped_samples = -1, 0

    def skip(self, epoch: int, num_samples: int) -> None:
        """Leave out the first ``num_samples`` indices of this rank in epoch ``epoch``."""
        if not 0 <= num_samples < self.num_samples:
            raise ValueError(f'cannot skip {num_samples} of the {self.num_samples} samples of an epoch on this rank: '
                             'the checkpoint was saved with another dataset, batch size or number of processes')
        self.skipped_epoch, self.skipped_samples = epoch, num_samples

    def _skipped_now(self) -> int:
        return self.skipped_samples if self.epoch == self.skipped_epoch else 0

    def __iter__(self) -> Iterator[int]:
        return iter(list(super().__iter__())[self._skipped_now():])

    def __len__(self) -> int:
        return self.num_samples - self._skipped_now()
