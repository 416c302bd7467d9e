"""Training and testing machinery: hooks, metrics, safe checkpoint loading, CPU/GPU distributed setup.

Importing this package registers the hooks and metrics (``custom_imports``
of the runtime configs lists it) and makes mmengine load local checkpoints
safely (see ``checkpoint_loader``).
"""
from .accuracy_report_hook import AccuracyReportHook
from .bad_sample_hook import BadSampleReportHook
from .checkpoint_loader import register_safe_local_loader
from .epoch_seed_hook import EpochSeedHook
from .parameter_report_hook import ParameterReportHook
from .tunable_checkpoint_hook import TunableCheckpointHook
from .valid_acc_metric import ValidAccMetric

register_safe_local_loader()

__all__ = ['AccuracyReportHook', 'BadSampleReportHook', 'EpochSeedHook', 'ParameterReportHook',
           'TunableCheckpointHook', 'ValidAccMetric', 'register_safe_local_loader']
