"""Running: the runner, its hooks, optimizer wrappers and short log, checks before building, CPU/GPU launch.

Importing this package (``custom_imports`` of the runtime configs lists it) registers the runner,
the hooks, the optimizer wrappers, the sampler and the metric its loops build, and makes mmengine load
local checkpoints safely (:mod:`loki_video.checkpoints.mmengine_loader`).
"""
from loki_video import datasets, evaluation  # noqa: F401  (register ResumableSampler, ValidAccMetric)
from loki_video.checkpoints import register_safe_local_loader

from .hooks import (
           AccuracyReportHook,
           BadSampleReportHook,
           EpochSeedHook,
           NonFiniteLossHook,
           ParameterReportHook,
           SafeCheckpointHook,
           TunableCheckpointHook,
)
from .optim import FiniteAmpOptimWrapper, FiniteOptimWrapper
from .runner import LokiVideoRunner

register_safe_local_loader()

__all__ = ['LokiVideoRunner', 'AccuracyReportHook', 'BadSampleReportHook', 'EpochSeedHook', 'FiniteAmpOptimWrapper',
           'FiniteOptimWrapper', 'NonFiniteLossHook', 'ParameterReportHook', 'SafeCheckpointHook',
           'TunableCheckpointHook']
