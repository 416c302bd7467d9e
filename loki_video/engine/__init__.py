"""Running: the runner, its hooks and short log, checks before building, CPU/GPU launch.

Importing this package (``custom_imports`` of the runtime configs lists it) registers the runner,
the hooks and the metric its loops build (``loki_video.evaluation``), and makes mmengine load
local checkpoints safely (:mod:`loki_video.checkpoints.mmengine_loader`).
"""
from loki_video import evaluation  # noqa: F401  (registers ValidAccMetric)
from loki_video.checkpoints import register_safe_local_loader

from .hooks import AccuracyReportHook, BadSampleReportHook, EpochSeedHook, ParameterReportHook, TunableCheckpointHook
from .runner import LokiVideoRunner

register_safe_local_loader()

__all__ = ['LokiVideoRunner', 'AccuracyReportHook', 'BadSampleReportHook', 'EpochSeedHook',
           'ParameterReportHook', 'TunableCheckpointHook']
