"""The runner of every run: mmengine's Runner with a short log, which compiles testing too.

The hooks every run needs are not the runner's: the runtime configs state them in
``default_hooks`` (``parameter_report``, ``epoch_seed``, ``tunable_checkpoint``), so any runner
built from a config gets them, mmaction2's and mmpretrain's own ``tools/train.py`` included.
"""
import os.path as osp
from typing import Any

from mmengine.logging import MMLogger
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from .short_log import ShortLogFilter


@RUNNERS.register_module()
class LokiVideoRunner(Runner):
    """mmengine's Runner whose logger drops what :class:`ShortLogFilter` names (the filter must be on
    the logger before the Runner's own first lines, which no hook sees) and whose ``test``
    compiles ``test_step`` as ``train`` compiles ``train_step`` (the config's ``compile`` key)."""

    def build_logger(self, *args: Any, **kwargs: Any) -> MMLogger:
        logger = super().build_logger(*args, **kwargs)
        name = osp.basename(self.cfg.filename) if self.cfg.filename else f'{self.timestamp}.py'
        logger.addFilter(ShortLogFilter(osp.join(self.work_dir, name)))
        return logger

    def test(self) -> dict:
        # mmengine has no public way to compile test_step; _maybe_compile is what train() applies.
        self._maybe_compile('test_step')
        return super().test()
