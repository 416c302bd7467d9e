"""Config edits shared by tools/train.py and tools/test.py, and the runner they build."""
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner


def set_work_dir(cfg: Config, work_dir: Optional[str], config_path: str) -> None:
    """``cfg.work_dir`` from the command line, else the config, else ``./work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def build_runner(cfg: Config) -> Runner:
    """The runner registered as ``cfg.runner_type`` (the configs choose ``LokiVideoRunner``), else a
    ``LokiVideoRunner``, as mmengine's tools build theirs."""
    from mmengine.registry import RUNNERS

    from .runner import LokiVideoRunner
    return RUNNERS.build(cfg) if 'runner_type' in cfg else LokiVideoRunner.from_cfg(cfg)
