"""Loading configs of both families (mmaction2 video, mmpretrain image) the same way."""
from mmengine.config import Config, DictAction  # noqa: F401  (DictAction re-exported for tools)
from mmengine.registry import init_default_scope

VIDEO_SCOPE = 'mmaction'


def load_config(path, cfg_options=None):
    """Read a config file, apply ``--cfg-options`` and activate its registry scope.

    The scope (``default_scope``: 'mmaction' for video, 'mmpretrain' for
    images) decides which registries build the model, datasets and metrics.
    """
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.setdefault('default_scope', VIDEO_SCOPE)
    init_default_scope(cfg.default_scope)
    import loki_video.models  # noqa: F401  (registers TunableViT in both scopes)
    return cfg


def build_model(cfg):
    """Build ``cfg.model`` in the config's scope."""
    from mmengine.registry import MODELS
    return MODELS.build(cfg.model)
