"""What a run does when an update is skipped for a non-finite loss or gradient norm.

:class:`~loki_video.engine.optim.FiniteOptimWrapper` skips such an update on every rank alike;
this hook, right after it, either stops the run (``action='stop'``, the default) with a
:class:`NonFiniteLossError` naming the iteration, the loss terms and the last good checkpoint, or
(``action='skip'``, for fp16 runs whose rare overflows are expected) logs the skip and stops only
after ``max_consecutive`` skips in a row. The loss scaler's skips of mixed precision (``'gradient
overflow'``, routine while the scale settles) are tolerated in either mode up to ``max_consecutive`` in a row.

Config::

    default_hooks = dict(non_finite=dict(type='NonFiniteLossHook', action='skip', max_consecutive=5))
"""
import math
from typing import Optional

from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner

from loki_video.engine.optim.finite_optim_wrapper import FiniteUpdateMixin
from loki_video.user_error import UserError, UserValueError

ACTIONS = ('stop', 'skip')


class NonFiniteLossError(UserError, ArithmeticError):
    """The run stopped at a non-finite loss or gradient norm; the message says where and how to resume."""


def _loss_terms(outputs: Optional[dict]) -> str:
    terms = []
    for name, value in (outputs or {}).items():
        try:
            terms.append(f'{name}={float(value):.6g}')
        except (TypeError, ValueError):
            continue
    return ', '.join(terms) or 'no loss terms logged'


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop (or count and skip) at updates skipped for non-finite values (module docstring).

    Args:
        action (str): ``'stop'`` or ``'skip'``. Defaults to ``'stop'``.
        max_consecutive (int): with ``'skip'``, stop at this many skipped updates in a row. Defaults to 5.
    """

    priority = 65  # after the logger (BELOW_NORMAL, 60) prints the iteration, before checkpoints (VERY_LOW)

    def __init__(self, action: str = 'stop', max_consecutive: int = 5) -> None:
        if action not in ACTIONS:
            raise UserValueError(f'default_hooks.non_finite.action: {action!r} is not one of {ACTIONS}')
        if max_consecutive < 1:
            raise UserValueError(f'default_hooks.non_finite.max_consecutive must be >= 1, not {max_consecutive}')
        self.action, self.max_consecutive = action, max_consecutive
        self.in_a_row = self.skipped = 0
        self.guarded = True

    def before_train(self, runner: Runner) -> None:
        self.guarded = isinstance(runner.optim_wrapper, FiniteUpdateMixin)
        if not self.guarded:
            message = (f'optim_wrapper.type {type(runner.optim_wrapper).__name__} applies updates with a non-finite '
                       "loss; use 'FiniteOptimWrapper' (or 'FiniteAmpOptimWrapper') to skip them")
            if self.action == 'skip':
                raise UserValueError(f"default_hooks.non_finite.action='skip': {message}")
            runner.logger.warning(f'NonFiniteLossHook: {message} (the run still stops at the first one)')

    def after_train_iter(self, runner: Runner, batch_idx: int, data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if self.guarded:
            skipped, value = runner.optim_wrapper.skipped_update, runner.optim_wrapper.skipped_value
        else:
            loss = float((outputs or {}).get('loss', 0.))
            skipped, value = (None, None) if math.isfinite(loss) else ('loss', loss)
        if skipped is None:
            self.in_a_row = 0
            return
        self.in_a_row += 1
        self.skipped += 1
        where = (f'iteration {runner.iter + 1} (epoch {runner.epoch + 1}, batch {batch_idx + 1}): non-finite '
                 f'{skipped} {value} ({_loss_terms(outputs)})')
        tolerated = self.action == 'skip' or skipped == 'gradient overflow'  # the AMP scaler's routine skip
        if tolerated and self.in_a_row < self.max_consecutive:
            runner.logger.warning(f'{where}; update skipped ({self.in_a_row} in a row, {self.skipped} in this run)')
            return
        last = runner.message_hub.get_info('last_ckpt')
        resume = (f'the last good checkpoint is {last}: resume with tools/train.py CONFIG --resume {last}' if last
                  else 'no checkpoint was saved in this run yet')
        repeated = f'{self.in_a_row} skipped updates in a row; ' if tolerated else ''
        raise NonFiniteLossError(f'{where}; the run stops: {repeated}{resume}, with a lower learning rate, gradient '
                                 "clipping, or default_hooks.non_finite.action='skip' for mixed precision")
