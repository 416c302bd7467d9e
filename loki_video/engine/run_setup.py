"""Config edits shared by tools/train.py and tools/test.py, and the runner they build."""
import os.path as osp


def set_work_dir(cfg, work_dir, config_path):
    """``cfg.work_dir`` from the command line, else the config, else ``./work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def build_runner(cfg):
    """The runner registered as ``cfg.runner_type`` (the configs choose ``LokiVideoRunner``),
    else a ``LokiVideoRunner``. A runner of another type gets the ``ENGINE_HOOKS`` here (in
    ``cfg.custom_hooks``), as ``LokiVideoRunner`` adds them itself."""
    from mmengine.registry import RUNNERS

    from .runner import LokiVideoRunner, add_engine_hooks
    if 'runner_type' not in cfg:
        return LokiVideoRunner.from_cfg(cfg)
    add_engine_hooks(cfg)
    return RUNNERS.build(cfg)


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
