"""Loading configs of both families (mmaction2 video, mmpretrain image) the same way."""
import argparse
import difflib
import inspect
import os.path as osp
from typing import Optional

from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from torch import nn

from loki_video.user_error import UserFileError, UserValueError

VIDEO_SCOPE = 'mmaction'
# Top-level keys read beside the arguments of mmengine's Runner.__init__: by the Runner itself
# from its config, by mmengine's config loading, and by this project.
RUNNER_CFG_KEYS = ('compile', 'find_unused_parameters', 'model_wrapper_cfg', 'runner_type', 'custom_imports')
PROJECT_KEYS = ('checkpoint_cfg', 'label_file')
_LOADED = []  # the configs load_config gave out, newest last: tool_main names their keys in errors


def add_cfg_options(parser: argparse.ArgumentParser, example: str = 'model.cls_head.num_classes=174') -> None:
    """Add every tool's ``--cfg-options KEY=VALUE ...`` (mmengine's ``DictAction``) to ``parser``;
    :func:`load_config` applies them and refuses a key nothing reads."""
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={}, metavar='KEY=VALUE',
                        help=f'override config keys, e.g. {example}')


def check_option_keys(cfg: Config, cfg_options: dict) -> None:
    """Raise ValueError for a ``--cfg-options`` key whose first part nothing reads (a typo).

    Known: the config's own top-level keys, the arguments of mmengine's ``Runner``,
    :data:`RUNNER_CFG_KEYS` and :data:`PROJECT_KEYS`; the closest known key is suggested.
    """
    from mmengine.runner import Runner
    known = set(cfg.keys()) | set(inspect.signature(Runner.__init__).parameters) | set(RUNNER_CFG_KEYS + PROJECT_KEYS)
    for key in cfg_options:
        top = key.split('.')[0]
        if top not in known:
            close = difflib.get_close_matches(top, sorted(known), n=1)
            hint = f'; did you mean {close[0]}?' if close else ''
            raise UserValueError(f'--cfg-options {key}: the config has no key {top!r} and the runner reads none{hint}')


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config file, apply ``--cfg-options`` (a key nothing reads is refused, see
    :func:`check_option_keys`) and activate its registry scope.

    The scope (``default_scope``: 'mmaction' for video, 'mmpretrain' for
    images) decides which registries build the model, datasets and metrics.
    """
    if not osp.isfile(path):
        raise UserFileError(f"config {path} does not exist (configs/ holds the project's: docs/configs.md)")
    cfg = Config.fromfile(path)
    if cfg_options:
        check_option_keys(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    cfg.setdefault('default_scope', VIDEO_SCOPE)
    init_default_scope(cfg.default_scope)
    import loki_video.models  # noqa: F401  (registers TunableViT in both scopes)
    _LOADED[:] = [cfg]
    return cfg


def last_loaded_config() -> Optional[Config]:
    """The config :func:`load_config` gave out last in this process, or None."""
    return _LOADED[-1] if _LOADED else None


def build_model(cfg: Config) -> nn.Module:
    """Build ``cfg.model`` in the config's scope."""
    from mmengine.registry import MODELS
    return MODELS.build(cfg.model)
