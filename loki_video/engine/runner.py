"""The runner of every run: mmengine's Runner with a short log, which compiles testing too.

The hooks every run needs are not the runner's: the runtime configs state them in
``default_hooks`` (``parameter_report``, ``epoch_seed``, ``tunable_checkpoint``), so any runner
built from a config gets them, mmaction2's and mmpretrain's own ``tools/train.py`` included.
"""
import os.path as osp
from typing import Any, Union

import torch
from mmengine.logging import MMLogger
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from .data_workers import resolve_auto_workers
from .short_log import ShortLogFilter


@RUNNERS.register_module()
class LokiVideoRunner(Runner):
    """mmengine's Runner whose logger drops what :class:`ShortLogFilter` names (the filter must be on
    the logger before the Runner's own first lines, which no hook sees) and whose ``test``
    compiles ``test_step`` as ``train`` compiles ``train_step`` (the config's ``compile`` key), and whose
    dataloaders take ``num_workers='auto'`` (:mod:`.data_workers`)."""

    def build_logger(self, *args: Any, **kwargs: Any) -> MMLogger:
        logger = super().build_logger(*args, **kwargs)
        name = osp.basename(self.cfg.filename) if self.cfg.filename else f'{self.timestamp}.py'
        logger.addFilter(ShortLogFilter(osp.join(self.work_dir, name)))
        return logger

    @staticmethod
    def build_dataloader(dataloader: Any, *args: Any, **kwargs: Any) -> Any:
        """mmengine's, with ``num_workers='auto'`` and ``pin_memory='auto'`` resolved (:mod:`.data_workers`)."""
        if isinstance(dataloader, dict):
            dataloader = resolve_auto_workers(dataloader)
        return Runner.build_dataloader(dataloader, *args, **kwargs)

    def test(self) -> dict:
        compile_test_step(self.model, self.cfg.get('compile'), self.logger)
        return super().test()


def compile_test_step(model: Any, options: Union[bool, dict, None], logger: Any) -> None:
    """Replace ``model.test_step`` by ``torch.compile`` of it, with the config's ``compile`` options (True: torch's
    defaults; None or False: nothing), as mmengine's ``Runner.train`` compiles ``train_step``."""
    if not options:
        return
    model.test_step = torch.compile(model.test_step, **({} if options is True else dict(options)))
    logger.info('test_step has been compiled: the first iterations are slow')
