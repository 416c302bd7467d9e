"""Log the total and tunable parameters of the model, by group, when a run starts."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from loki_video.models.peft import count_parameters, format_parameter_report


@HOOKS.register_module()
class ParameterReportHook(Hook):
    """Log :func:`~loki_video.models.peft.format_parameter_report` in ``before_run``.

    ``before_run`` is called by ``runner.train()``, ``runner.val()`` and
    ``runner.test()``, so every run logs the table once. Registered in
    mmengine's root registry: video and image configs both find it.
    """

    def before_run(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        runner.logger.info('parameters (total and tunable, by group):\n' +
                           format_parameter_report(count_parameters(model)))
