"""Optimizer wrappers that never apply an update whose gradients are not finite.

mmengine's ``OptimWrapper.update_params`` runs backward and the optimizer step on whatever loss it
gets: one NaN makes every weight NaN. :class:`FiniteOptimWrapper` runs backward as usual and decides
at the optimizer step, once per accumulation window, from the norm of the gradients: after DDP's
gradient all-reduce every rank holds the same gradients, so every rank decides alike without a
collective of its own, and a non-finite loss on any rank makes them all non-finite. A non-finite norm
skips the step; the window's gradients are zeroed as after any step, so a skip drops exactly that
window (``accumulative_counts`` micro-batches) and the next one starts whole. The decision reads one
scalar per update, after backward (mmengine reads the clipped norm for its log anyway); nothing is
read or reduced per micro-batch or before backward. ``skipped_update`` says why (``'loss'`` where
this rank's loss was non-finite, else ``'gradient norm'``) for
:class:`~loki_video.engine.hooks.NonFiniteLossHook`, which stops the run or counts the skip.

:class:`FiniteAmpOptimWrapper`: with mixed precision, the loss scaler already skips steps whose
gradients overflow (the same on every rank) and lowers the scale; the wrapper reports such a skip as
``'gradient overflow'``, which the hook tolerates up to its ``max_consecutive`` in a row.
"""
from typing import Any, Dict, List, Optional

import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS


class FiniteUpdateMixin:
    """``update_params`` that skips non-finite updates (module docstring). ``skipped_update`` is None
    after a normal update or a micro-batch within a window, else ``'loss'``, ``'gradient norm'`` or
    ``'gradient overflow'``; ``skipped_value`` the value."""

    skipped_update: Optional[str] = None
    skipped_value: Optional[float] = None

    def update_params(self, loss: torch.Tensor, step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        """``OptimWrapper.update_params``; the step of a window whose gradients are not finite is skipped."""
        self.skipped_update = self.skipped_value = None
        self._window_loss = loss.detach() if getattr(self, '_window_loss', None) is None else \
            torch.where(torch.isfinite(self._window_loss), loss.detach(), self._window_loss)  # its first non-finite
        super().update_params(loss, step_kwargs, zero_kwargs)
        if self.should_update():
            self._window_loss = None

    def _gradients(self) -> List[torch.Tensor]:
        return [p.grad for group in self.optimizer.param_groups for p in group['params'] if p.grad is not None]

    def _skip(self, norm: torch.Tensor) -> None:
        loss = float(self._window_loss)
        if torch.isfinite(torch.tensor(loss)):
            self.skipped_update, self.skipped_value = 'gradient norm', float(norm)
        else:
            self.skipped_update, self.skipped_value = 'loss', loss


@OPTIM_WRAPPERS.register_module()
class FiniteOptimWrapper(FiniteUpdateMixin, OptimWrapper):
    """mmengine's ``OptimWrapper`` (same arguments) that skips updates whose gradients are not finite."""

    def step(self, **kwargs: Any) -> None:
        """Clip (as configured), then step where the gradients' norm is finite."""
        if self.clip_grad_kwargs:
            self._clip_grad()
        gradients = self._gradients()
        if not gradients:
            return self.optimizer.step(**kwargs)
        norm = torch.nn.utils.get_total_norm(gradients)
        if bool(torch.isfinite(norm)):  # the same on every rank: the gradients were all-reduced
            return self.optimizer.step(**kwargs)
        self._skip(norm)


@OPTIM_WRAPPERS.register_module()
class FiniteAmpOptimWrapper(FiniteUpdateMixin, AmpOptimWrapper):
    """mmengine's ``AmpOptimWrapper`` (same arguments) that reports the loss scaler's skipped steps."""

    def step(self, **kwargs: Any) -> None:
        scale = self.loss_scaler.get_scale()
        super().step(**kwargs)
        if self.loss_scaler.get_scale() < scale:  # the scaler found inf or NaN gradients and skipped the step
            self._skip(torch.tensor(float('inf')))
            if self.skipped_update == 'gradient norm':
                self.skipped_update = 'gradient overflow'
