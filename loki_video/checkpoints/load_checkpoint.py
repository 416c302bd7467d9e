"""Loading a checkpoint onto a built model exactly, as tools/test.py and ``loki_video.apis`` do."""
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import CheckpointLoader, load_state_dict
from torch import nn

from .mmengine_loader import register_safe_local_loader
from .tunable import refuse_reinit, restore


def load_checkpoint(model: nn.Module, cfg: Config, path: str) -> None:
    """Load the checkpoint at ``path`` onto ``model``, built from ``cfg``.

    The file is read by the safe local loader; tunable-only checkpoints are checked against the
    pretrained file the model was built from and completed with its frozen weights, foreign
    (AIM) checkpoints converted (:func:`.tunable.restore`, as during training). A checkpoint that
    does not set every tensor of the model with its shape is refused.
    """
    register_safe_local_loader()
    refuse_reinit(cfg, 'loki_video.apis')
    logger = MMLogger.get_current_instance()
    checkpoint = CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    if not isinstance(checkpoint, dict):
        raise TypeError(f'{path} holds a {type(checkpoint).__name__}, not a checkpoint dict')
    restore(checkpoint, model, cfg, logger)
    load_state_dict(model, checkpoint['state_dict'], strict=False, logger=logger)
