"""The hooks of a run, registered in mmengine's (or mmaction2's) ``HOOKS``."""
from .accuracy_report_hook import AccuracyReportHook
from .bad_sample_hook import BadSampleReportHook
from .epoch_seed_hook import EpochSeedHook
from .non_finite_loss_hook import NonFiniteLossError, NonFiniteLossHook
from .parameter_report_hook import ParameterReportHook
from .safe_checkpoint_hook import SafeCheckpointHook
from .tunable_checkpoint_hook import TunableCheckpointHook

__all__ = ['AccuracyReportHook', 'BadSampleReportHook', 'EpochSeedHook', 'NonFiniteLossError', 'NonFiniteLossHook',
           'ParameterReportHook', 'SafeCheckpointHook', 'TunableCheckpointHook']
