"""A hook for the resume test: it stops training at one iteration until the process is killed."""
import time
from pathlib import Path

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class PauseHook(Hook):
    """After iteration ``iteration`` (0-based) of epoch ``epoch`` (0-based), touch ``marker`` and wait.

    It draws no random numbers, so the run is the same as without it up to the pause.
    """

    def __init__(self, epoch, iteration, marker, seconds=600):
        self.epoch = epoch
        self.iteration = iteration
        self.marker = marker
        self.seconds = seconds

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.epoch == self.epoch and batch_idx == self.iteration:
            Path(self.marker).touch()
            time.sleep(self.seconds)
