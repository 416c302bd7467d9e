"""Optimizer wrappers that never apply an update whose loss or gradient norm is not finite.

mmengine's ``OptimWrapper.update_params`` runs backward and the optimizer step on whatever loss it
gets: one NaN makes every weight NaN. :class:`FiniteOptimWrapper` first checks that the loss is
finite on every rank (one all-reduce of a flag, so that all ranks decide alike), and, where
gradient clipping computes the gradient norm (``clip_grad=dict(max_norm=...)``), that the norm is
finite. Otherwise it skips backward or the step, zeroes the gradients and records why in
``skipped_update``; :class:`~loki_video.engine.hooks.NonFiniteLossHook` then stops the run or
counts the skip. :class:`FiniteAmpOptimWrapper` checks the loss only: with mixed precision, the
loss scaler already skips steps whose gradients overflow and lowers the scale.
"""
from typing import Any, Callable, Dict, Optional

import torch
from mmengine.dist import all_reduce
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS


class NonFiniteGradientNorm(ArithmeticError):
    """Raised inside the optimizer step when the clipped gradients' norm is not finite."""


def finite_on_every_rank(value: torch.Tensor) -> bool:
    """Whether ``value`` (any shape) is finite on every rank (one all-reduce of a flag when distributed)."""
    flag = torch.isfinite(value.detach()).all().to(torch.float32).reshape(1)
    all_reduce(flag, op='min')
    return bool(flag.item())


def _checked_norm(clip_func: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    def clip_and_check(*args, **kwargs) -> torch.Tensor:
        norm = clip_func(*args, **kwargs)
        if not torch.isfinite(norm):
            raise NonFiniteGradientNorm(float(norm))
        return norm
    return clip_and_check


class FiniteUpdateMixin:
    """``update_params`` that skips non-finite updates (module docstring). ``skipped_update`` is
    None after a normal update, else ``'loss'`` or ``'gradient norm'``; ``skipped_value`` the value."""

    skipped_update: Optional[str] = None
    skipped_value: Optional[float] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if (not isinstance(self, AmpOptimWrapper) and self.clip_grad_kwargs
                and self.clip_func is torch.nn.utils.clip_grad_norm_):
            self.clip_func = _checked_norm(self.clip_func)

    def update_params(self, loss: torch.Tensor, step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        """``OptimWrapper.update_params`` for a finite ``loss`` (a scalar tensor), else nothing but
        zeroing the gradients."""
        self.skipped_update = self.skipped_value = None
        if not finite_on_every_rank(loss):
            self.skipped_update, self.skipped_value = 'loss', float(loss.detach())
            self.zero_grad(**(zero_kwargs or {}))
            return
        try:
            super().update_params(loss, step_kwargs, zero_kwargs)
        except NonFiniteGradientNorm as norm:
            self.skipped_update, self.skipped_value = 'gradient norm', norm.args[0]
            self.zero_grad(**(zero_kwargs or {}))


@OPTIM_WRAPPERS.register_module()
class FiniteOptimWrapper(FiniteUpdateMixin, OptimWrapper):
    """mmengine's ``OptimWrapper`` (same arguments) that skips updates with a non-finite loss or
    gradient norm."""


@OPTIM_WRAPPERS.register_module()
class FiniteAmpOptimWrapper(FiniteUpdateMixin, AmpOptimWrapper):
    """mmengine's ``AmpOptimWrapper`` (same arguments) that skips updates with a non-finite loss."""
