"""Config edits shared by tools/train.py and tools/test.py, and the runner they build."""
import os.path as osp
from collections import Counter

# Hooks every run needs, whatever the config's custom_hooks list (a child config replaces the list).
ENGINE_HOOKS = ('ParameterReportHook', 'EpochSeedHook', 'TunableCheckpointHook')


def set_work_dir(cfg, work_dir, config_path):
    """``cfg.work_dir`` from the command line, else the config, else ``./work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def add_engine_hooks(cfg):
    """Append the ``ENGINE_HOOKS`` missing from ``cfg.custom_hooks``."""
    hooks = list(cfg.get('custom_hooks') or [])
    present = {hook.get('type') for hook in hooks if isinstance(hook, dict)}
    cfg.custom_hooks = hooks + [dict(type=name) for name in ENGINE_HOOKS if name not in present]


# Runners built in this process, per experiment name (see ``build_runner``).
_RUNNERS_BUILT = Counter()


def build_runner(cfg):
    """The runner registered as ``cfg.runner_type``, else a :class:`ShortLogRunner` (mmengine's
    Runner with a log that gets to the first iteration in a screenful).

    mmengine names a run's logger, visualizer and default scope ``<name>_<second it started>``
    and hands back existing instances of that name, so a second runner of the same config
    started within the same second in one process would write its log into the first run's
    folder. The n-th runner of a name in a process is therefore named ``<name>_<n>``.
    """
    from mmengine.registry import RUNNERS

    from .short_log import ShortLogRunner
    name = cfg.get('experiment_name') or (
        osp.splitext(osp.basename(cfg.filename))[0] if cfg.filename else 'run')
    _RUNNERS_BUILT[name] += 1
    if _RUNNERS_BUILT[name] > 1:
        cfg.experiment_name = f'{name}_{_RUNNERS_BUILT[name]}'
    return RUNNERS.build(cfg) if 'runner_type' in cfg else ShortLogRunner.from_cfg(cfg)


def compile_test_step(runner):
    """``torch.compile`` the model's ``test_step`` when the config asks for ``compile``.

    mmengine's Runner compiles ``train_step`` only (in ``Runner.train``); this does the same
    for testing, with the same options (``compile=True`` or a dict of ``torch.compile`` arguments).
    """
    options = runner.cfg.get('compile')
    if not options:
        return
    import torch
    options = {} if options is True else dict(options)
    runner.model.test_step = torch.compile(runner.model.test_step, **options)
    runner.logger.info('test_step compiled: the first batches take longer')
