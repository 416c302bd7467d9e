"""The hook that makes every checkpoint a run saves tunable-only and every load exact.

The work is :mod:`loki_video.checkpoints.tunable` (whose docstring describes the checkpoints and
the ``checkpoint_cfg`` keys); the hook applies it to what mmengine's Runner saves and loads.
"""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS
from mmengine.runner import Runner

from loki_video.checkpoints.tunable import restore, strip_frozen


@HOOKS.register_module()
class TunableCheckpointHook(Hook):
    """Save tunable-only checkpoints and load them (and foreign ones) exactly.

    Registered in mmengine's root registry, so video (mmaction) and image
    (mmpretrain) configs both find it.
    """

    def __init__(self) -> None:
        self._announced_full = False

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        """Drop frozen parameters from ``checkpoint['state_dict']`` and record the pretrained file."""
        kept_full_because = strip_frozen(checkpoint, self._model(runner), runner.cfg)
        if kept_full_because and not self._announced_full:
            runner.logger.info(f'saving full checkpoints: {kept_full_because}')
            self._announced_full = True

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        """Convert, verify the pretrained file, complete a tunable-only state dict, then refuse any
        checkpoint that does not set every tensor of the model with its shape."""
        # With ``resume=True`` mmengine's ``load_or_resume`` loads only to resume (a run of this very config).
        resuming = bool(runner.cfg.get('resume', False))
        restore(checkpoint, self._model(runner), runner.cfg, runner.logger, resuming=resuming)
