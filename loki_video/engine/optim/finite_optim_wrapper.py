"""Optimizer wrappers that never apply an update whose gradients are not finite.

mmengine's ``OptimWrapper.update_params`` runs backward and the optimizer step on whatever loss it
gets: one NaN makes every weight NaN. :class:`FiniteOptimWrapper` runs backward as usual and decides
at the optimizer step, once per accumulation window, from the norm of the gradients: after DDP's
gradient all-reduce every rank holds the same gradients, so every rank decides alike without a
collective of its own, and a non-finite loss on any rank makes them all non-finite. A non-finite norm
skips the step; the window's gradients are zeroed as after any step, so a skip drops exactly that
window (``accumulative_counts`` micro-batches) and the next one starts whole. Nothing is read or
reduced per micro-batch or before backward. With a fused optimizer (``optimizer=dict(type='AdamW',
fused=True)``, as in every shipped config) the step is skipped on the device (its ``found_inf``) and
nothing is read before it: the hook reads the outcome after the step was queued, as mmengine's logger
reads the loss. With other optimizers the decision reads one scalar per update, before the step (the
read mmengine makes for its log whenever ``clip_grad`` is set). ``skipped_update`` says why
(``'loss'`` where this rank's loss was non-finite, else ``'gradient norm'``) for
:class:`~loki_video.engine.hooks.NonFiniteLossHook`, which stops the run or counts the skip.

:class:`FiniteAmpOptimWrapper`: with mixed precision, the loss scaler already skips steps whose
gradients overflow (the same on every rank) and lowers the scale; the wrapper reports such a skip as
``'gradient overflow'``, which the hook tolerates up to its ``max_consecutive`` in a row.
"""
import math
from typing import Any, Dict, List, Optional

import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS


class FiniteUpdateMixin:
    """``update_params`` that skips non-finite updates (module docstring). ``skipped_update`` is None
    after a normal update or a micro-batch within a window, else ``'loss'``, ``'gradient norm'`` or
    ``'gradient overflow'``; ``skipped_value`` the value. Where a fused optimizer skipped on the device,
    both are read when first asked for (by ``NonFiniteLossHook``, after the step was queued)."""

    _skipped = (None, None)
    _window_loss: Optional[torch.Tensor] = None
    _finished_window_loss: Optional[torch.Tensor] = None
    _pending_norm: Optional[torch.Tensor] = None

    def update_params(self, loss: torch.Tensor, step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        """``OptimWrapper.update_params``; the step of a window whose gradients are not finite is skipped."""
        self._skipped, self._pending_norm = (None, None), None
        self._window_loss = loss.detach() if self._window_loss is None else \
            torch.where(torch.isfinite(self._window_loss), loss.detach(), self._window_loss)  # its first non-finite
        self._finished_window_loss = self._window_loss
        super().update_params(loss, step_kwargs, zero_kwargs)
        if self.should_update():
            self._window_loss = None

    @property
    def skipped_update(self) -> Optional[str]:
        self._settle()
        return self._skipped[0]

    @property
    def skipped_value(self) -> Optional[float]:
        self._settle()
        return self._skipped[1]

    def _settle(self) -> None:
        """Read the norm a fused optimizer's step was decided on, if any."""
        if self._pending_norm is not None:
            norm, self._pending_norm = self._pending_norm, None
            if not bool(torch.isfinite(norm)):
                self._skip(norm)

    def _gradients(self) -> List[torch.Tensor]:
        return [p.grad for group in self.optimizer.param_groups for p in group['params'] if p.grad is not None]

    def _skip(self, norm: torch.Tensor) -> None:
        loss = float(self._finished_window_loss)
        self._skipped = ('gradient norm', float(norm)) if math.isfinite(loss) else ('loss', loss)


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
        if self.optimizer.defaults.get('fused'):  # the fused kernels skip on the device where found_inf is set
            self.optimizer.found_inf = (~torch.isfinite(norm)).to(torch.float32)
            self._pending_norm = norm
            return self.optimizer.step(**kwargs)
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
            if self._skipped[0] == 'gradient norm':
                self._skipped = ('gradient overflow', self._skipped[1])
