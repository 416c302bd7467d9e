"""mmengine's ``CheckpointHook`` that never leaves a half-written checkpoint and also saves mid-epoch.

* ``last_checkpoint`` names the newest checkpoint of any kind (epoch, mid-epoch or best), written with
  the first save, so ``--resume`` always finds what a run saved last.
* Files: every checkpoint goes through ``backend_args=dict(backend='atomic_local')``
  (:mod:`loki_video.checkpoints.atomic_write`: temporary file, fsync, rename) and
  ``last_checkpoint`` is written the same way; checkpoints that are no longer kept (``max_keep_ckpts``,
  the previous ``best_*``, the previous mid-epoch one) are removed only after the new one is
  complete. A kill at any moment leaves the previous checkpoints and ``last_checkpoint`` valid.
* Mid-epoch: ``interval_iters`` and ``interval_minutes`` save ``iter_<N>.pth`` within epochs as
  well; only the newest is kept, and the next epoch checkpoint removes it. Each records its global
  position in the epoch's sample order (``mid_epoch_position`` in the message hub: epoch, samples
  trained by all ranks together, dataset size, world size). Resuming from one, the hook makes the
  sampler (:class:`~loki_video.datasets.ResumableSampler`) deal out the rest of that order, so
  every remaining sample is trained once, with the same number of processes and batch size
  (then the run goes on with the next batch exactly) or with others.
"""
import os.path as osp
import time
from typing import Any, List, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmengine.registry import HOOKS
from mmengine.runner import EpochBasedTrainLoop, Runner

from loki_video.checkpoints.atomic_write import remove_stale_temporaries, write_atomically
from loki_video.datasets.resumable_sampler import ResumableSampler
from loki_video.user_error import UserValueError

MID_EPOCH_KEY = 'mid_epoch_ckpt'  # message hub: the newest mid-epoch checkpoint, saved with each checkpoint
POSITION_KEY = 'mid_epoch_position'  # message hub: where in its epoch a mid-epoch checkpoint was saved


class _RemovalsDeferred:
    """A file backend whose ``remove``/``rmtree`` only note the path (the rest is the backend's)."""

    def __init__(self, backend: Any, deferred: List[str]) -> None:
        self._backend, self._deferred = backend, deferred

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)

    def remove(self, path: str) -> None:
        self._deferred.append(path)

    rmtree = remove


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """``CheckpointHook`` with atomic saves and mid-epoch checkpoints (module docstring).

    Args:
        interval_iters (int): also save after every this many training iterations within an
            epoch; 0 never. Defaults to 0.
        interval_minutes (float): also save within an epoch once this many minutes have passed
            since the last save (timed on the main process, which saves); 0 never. Defaults to 0.
            Both need the training sampler to be a ``ResumableSampler``; with another the hook says so
            and saves per epoch only.
        **kwargs (dict): ``CheckpointHook``'s arguments; ``backend_args`` defaults to the atomic local backend.
    """

    def __init__(self, interval_iters: int = 0, interval_minutes: float = 0, **kwargs: Any) -> None:
        kwargs.setdefault('backend_args', dict(backend='atomic_local'))
        super().__init__(**kwargs)
        if interval_iters < 0 or interval_minutes < 0:
            raise UserValueError(f'default_hooks.checkpoint: interval_iters ({interval_iters}) and interval_minutes '
                                 f'({interval_minutes}) must be >= 0 (0: no mid-epoch checkpoints)')
        self.interval_iters, self.interval_minutes = interval_iters, interval_minutes
        self.mid_epoch_checkpoint: Optional[str] = None
        self.newest: Optional[str] = None  # the checkpoint last_checkpoint names
        self._last_save = time.monotonic()

    @property
    def saves_mid_epoch(self) -> bool:
        return self.by_epoch and bool(self.interval_iters or self.interval_minutes)

    def before_train(self, runner: Runner) -> None:
        super().before_train(runner)
        if is_main_process():  # what saves killed in an earlier attempt left
            for folder in {runner.work_dir, self.out_dir}:
                for path in remove_stale_temporaries(folder):
                    runner.logger.info(f'removed {path}, left by a save that was killed')
        self._last_save = time.monotonic()
        self.mid_epoch_checkpoint = runner.message_hub.get_info(MID_EPOCH_KEY)  # a resumed run's, else None
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            return
        sampler = runner.train_dataloader.sampler
        resumable = isinstance(sampler, ResumableSampler)
        if self.saves_mid_epoch and not resumable:
            runner.logger.warning(f'no mid-epoch checkpoints: a run cannot resume mid-epoch with a '
                                  f'{type(sampler).__name__}; set train_dataloader.sampler='
                                  "dict(type='ResumableSampler', ...) (DefaultSampler's arguments)")
            self.interval_iters = self.interval_minutes = 0
        position = runner.message_hub.get_info(POSITION_KEY)
        consumed = runner.iter - runner.epoch * len(runner.train_dataloader)
        if POSITION_KEY not in runner.message_hub.runtime_info and consumed > 0:  # saved before positions were
            position = dict(epoch=runner.epoch, samples=consumed * runner.train_dataloader.batch_size *
                            getattr(sampler, 'world_size', 1), dataset_size=len(runner.train_dataloader.dataset),
                            world_size='as many')  # recorded: the same number of processes assumed
        if position and position['epoch'] == runner.epoch:
            if not resumable:
                raise UserValueError(f'the checkpoint was saved after {position["samples"]} samples of epoch '
                                     f'{runner.epoch + 1}: resuming it needs '
                                     "train_dataloader.sampler=dict(type='ResumableSampler', ...)")
            size = len(runner.train_dataloader.dataset)
            if position['dataset_size'] != size:
                raise UserValueError(f'the checkpoint was saved in an epoch of {position["dataset_size"]} samples, '
                                     f'this dataset has {size}: resume from an epoch checkpoint instead')
            sampler.skip(runner.epoch, position['samples'])
            runner.logger.info(f'resuming epoch {runner.epoch + 1} after {position["samples"]} of its {size} '
                               f'samples (saved at world size {position["world_size"]}, now {sampler.world_size})')

    def after_train_iter(self, runner: Runner, batch_idx: int, data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if not self.saves_mid_epoch:
            return super().after_train_iter(runner, batch_idx, data_batch, outputs)
        if self.end_of_epoch(runner.train_dataloader, batch_idx):
            return  # the epoch checkpoint follows
        due = bool(self.interval_iters) and (runner.iter + 1) % self.interval_iters == 0
        due = due or (bool(self.interval_minutes) and is_main_process()
                      and time.monotonic() - self._last_save >= 60 * self.interval_minutes)
        if due:
            filename = f'iter_{runner.iter + 1}.pth'
            runner.logger.info(f'Saving checkpoint at {runner.iter + 1} iterations (epoch {runner.epoch + 1})')
            previous = self.mid_epoch_checkpoint
            self.mid_epoch_checkpoint = self.file_backend.join_path(self.out_dir, filename)
            runner.message_hub.update_info(MID_EPOCH_KEY, self.mid_epoch_checkpoint)
            sampler, loader = runner.train_dataloader.sampler, runner.train_dataloader
            runner.message_hub.update_info(POSITION_KEY, dict(
                epoch=runner.epoch, samples=sampler.position(batch_idx + 1, loader.batch_size),
                dataset_size=len(loader.dataset), world_size=sampler.world_size))
            self._save(runner, filename, dict(epoch=runner.epoch, iter=runner.iter + 1))
            self._remove([previous])

    def _save_checkpoint_with_step(self, runner: Runner, step: int, meta: dict) -> None:
        """mmengine's, with the expired checkpoints removed after the new one is complete (a private
        method: the only place where mmengine prunes checkpoints and writes ``last_checkpoint``; fenced by
        tests/test_library_internals.py; DeepSpeed's checkpoint folders are not handled)."""
        expired = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                expired.append(self.file_backend.join_path(self.out_dir,
                                                           self.filename_tmpl.format(self.keep_ckpt_ids.popleft())))
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        previous, self.mid_epoch_checkpoint = self.mid_epoch_checkpoint, None
        runner.message_hub.update_info(MID_EPOCH_KEY, None)
        runner.message_hub.update_info(POSITION_KEY, None)
        self._save(runner, self.filename_tmpl.format(step), meta)
        self._remove(expired + [previous])

    def _save_best_checkpoint(self, runner: Runner, metrics: dict) -> None:
        """mmengine's (private; fenced by tests/test_library_internals.py), with the previous best checkpoint
        removed after the new one is complete, and
        ``last_checkpoint`` pointed at a new best one: whatever a run saved, ``--resume`` finds the newest."""
        backend, deferred = self.file_backend, []
        before = self._best_paths()
        self.file_backend = _RemovalsDeferred(backend, deferred)
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            self.file_backend = backend
        saved = [path for path in self._best_paths() if path not in before]
        if saved:
            self._point_last_checkpoint(runner, saved[-1])
        self._remove(deferred)

    def _best_paths(self) -> List[str]:
        """The best checkpoints now kept (one per ``save_best`` metric)."""
        paths = list(getattr(self, 'best_ckpt_path_dict', {}).values()) + [getattr(self, 'best_ckpt_path', None)]
        return [path for path in paths if path]

    def _save(self, runner: Runner, filename: str, meta: dict) -> None:
        """Save ``filename`` in ``out_dir``, then point ``last_checkpoint`` at it (both atomically)."""
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(self.out_dir, filename, self.file_client_args, save_optimizer=self.save_optimizer,
                               save_param_scheduler=self.save_param_scheduler, meta=meta, by_epoch=self.by_epoch,
                               backend_args=self.backend_args, **self.args)
        self._point_last_checkpoint(runner, self.last_ckpt)

    def _point_last_checkpoint(self, runner: Runner, path: str) -> None:
        """Write ``path`` to the work dir's ``last_checkpoint`` (what ``--resume`` reads), atomically."""
        self.newest = path
        if is_main_process():
            write_atomically(osp.join(runner.work_dir, 'last_checkpoint'), str(path).encode())
        self._last_save = time.monotonic()

    def _remove(self, paths: List[Optional[str]]) -> None:
        if not is_main_process():
            return
        for path in paths:
            if path and path not in (self.last_ckpt, self.newest) and self.file_backend.isfile(path):
                self.file_backend.remove(path)
