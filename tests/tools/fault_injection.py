"""Faults for the reliability tests, injected for real: a pause until the process is killed, a
SIGKILL of one rank, a file size limit (the kernel refuses the write), non-finite clips, and
transforms that abort their process or hang on listed files.

Configs load this module with ``custom_imports`` (``tests/tools`` is on ``PYTHONPATH``).
"""
import os
import resource
import signal
import time
from pathlib import Path

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.hooks import Hook
from mmengine.registry import HOOKS, TRANSFORMS


@HOOKS.register_module()
class PauseHook(Hook):
    """After iteration ``iteration`` (0-based) of epoch ``epoch`` (0-based), touch ``marker`` and wait.

    It draws no random numbers, so the run is the same as without it up to the pause.
    """

    def __init__(self, epoch, iteration, marker, seconds=600):
        self.epoch, self.iteration, self.marker, self.seconds = epoch, iteration, marker, seconds

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.epoch == self.epoch and batch_idx == self.iteration:
            Path(self.marker).touch()
            time.sleep(self.seconds)


@HOOKS.register_module()
class KillRankHook(Hook):
    """Rank ``rank`` sends itself SIGKILL after global iteration ``iteration`` (0-based), in the first
    attempt only (torchrun's ``TORCHELASTIC_RESTART_COUNT`` is 0)."""

    def __init__(self, rank, iteration):
        self.rank, self.iteration = rank, iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if (runner.rank == self.rank and runner.iter == self.iteration
                and int(os.environ.get('TORCHELASTIC_RESTART_COUNT', 0)) == 0):
            os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module()
class FileSizeLimitHook(Hook):
    """After epoch ``epoch`` (0-based) is saved, limit the files this process writes to half the size
    of ``<work_dir>/epoch_<epoch + 1>.pth`` (``RLIMIT_FSIZE``; SIGXFSZ ignored, so a longer write
    fails with EFBIG as on a full disk)."""

    priority = 'LOWEST'  # after the checkpoint hook

    def __init__(self, epoch):
        self.epoch = epoch

    def after_train_epoch(self, runner):
        if runner.epoch == self.epoch:
            size = os.path.getsize(os.path.join(runner.work_dir, f'epoch_{self.epoch + 1}.pth'))
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (size // 2, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


class _OnListedFiles(BaseTransform):
    """Base of the faults below: ``fault(results)`` on the files whose name ends with one of ``files``,
    from their ``from_visit``-th visit in this process on."""

    def __init__(self, files, from_visit=1):
        self.files, self.from_visit, self.visits = tuple(files), from_visit, {}

    def transform(self, results):
        filename = results['filename']
        if filename.endswith(self.files):
            self.visits[filename] = self.visits.get(filename, 0) + 1
            if self.visits[filename] >= self.from_visit:
                self.fault(results)
        return results


@TRANSFORMS.register_module()
class NonFiniteClip(_OnListedFiles):
    """Make the clip (``imgs``, after ``FormatShape``) NaN."""

    def fault(self, results):
        results['imgs'] = np.full(results['imgs'].shape, np.nan, np.float32)


@TRANSFORMS.register_module()
class AbortOn(_OnListedFiles):
    """``os.abort()`` the process, as a decoder's segmentation fault ends it."""

    def fault(self, results):
        os.abort()


@TRANSFORMS.register_module()
class HangOn(_OnListedFiles):
    """Sleep ``seconds``, as a decoder stuck on a file."""

    def __init__(self, files, seconds=600, **kwargs):
        super().__init__(files, **kwargs)
        self.seconds = seconds

    def fault(self, results):
        time.sleep(self.seconds)
