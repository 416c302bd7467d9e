"""The runner of every run: mmengine's Runner with the hooks each run needs and a short log.

Configs select it with ``runner_type = 'LokiVideoRunner'`` (``configs/_base_/default_runtime.py``),
so mmaction2's and mmpretrain's own ``tools/train.py`` build it as well as ours.
"""
import copy
import os.path as osp
from collections import Counter

from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from .short_log import ShortLogFilter

# Hooks every run needs, whatever the config's custom_hooks list (a child config replaces the list).
ENGINE_HOOKS = ('ParameterReportHook', 'EpochSeedHook', 'TunableCheckpointHook')

# Runners built in this process, per experiment name (see ``LokiVideoRunner.from_cfg``).
_RUNNERS_BUILT = Counter()


def add_engine_hooks(cfg):
    """Put the ``ENGINE_HOOKS`` missing from ``cfg.custom_hooks`` in front of it, in place."""
    hooks = list(cfg.get('custom_hooks') or [])
    present = {hook.get('type') for hook in hooks if isinstance(hook, dict)}
    cfg.custom_hooks = [dict(type=name) for name in ENGINE_HOOKS if name not in present] + hooks


def name_experiment(cfg):
    """Give the n-th runner of a config in this process the experiment name ``<name>_<n>``, in place.

    mmengine names a run's logger, visualizer and default scope ``<name>_<second it started>``
    and hands back existing instances of that name, so a second runner of the same config
    started within the same second in one process would write its log into the first run's folder.
    """
    name = cfg.get('experiment_name') or (
        osp.splitext(osp.basename(cfg.filename))[0] if cfg.filename else 'run')
    _RUNNERS_BUILT[name] += 1
    if _RUNNERS_BUILT[name] > 1:
        cfg.experiment_name = f'{name}_{_RUNNERS_BUILT[name]}'


@RUNNERS.register_module()
class LokiVideoRunner(Runner):
    """mmengine's Runner that adds ``ENGINE_HOOKS``, keeps runs of one process apart
    (:func:`name_experiment`) and logs through :class:`ShortLogFilter`."""

    @classmethod
    def from_cfg(cls, cfg):
        cfg = copy.deepcopy(cfg)
        add_engine_hooks(cfg)
        name_experiment(cfg)
        return super().from_cfg(cfg)

    def build_logger(self, *args, **kwargs):
        logger = super().build_logger(*args, **kwargs)
        name = osp.basename(self.cfg.filename) if self.cfg.filename else f'{self.timestamp}.py'
        logger.addFilter(ShortLogFilter(osp.join(self.work_dir, name)))
        return logger
