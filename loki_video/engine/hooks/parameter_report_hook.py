"""Log the total and tunable parameters of the model, by group, when a run starts, and write
them as JSON beside the run's log."""
import json
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS
from mmengine.runner import Runner

from loki_video.models.peft import count_parameters, format_parameter_report

PARAMETERS_FILE = 'parameters.json'


@HOOKS.register_module()
class ParameterReportHook(Hook):
    """Log :func:`~loki_video.models.peft.format_parameter_report` in ``before_run`` and write
    :func:`~loki_video.models.peft.count_parameters` to ``<log dir>/parameters.json``
    (``WORK_DIR/<timestamp>/``), which ``tools/analysis/collect_results.py`` reads.

    ``before_run`` is called by ``runner.train()``, ``runner.val()`` and
    ``runner.test()``, so every run logs the table once. Registered in
    mmengine's root registry: video and image configs both find it.
    """

    def before_run(self, runner: Runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        counts = count_parameters(model)
        runner.logger.info('parameters (total and tunable, by group):\n' + format_parameter_report(counts))
        if is_main_process():
            with open(osp.join(runner.log_dir, PARAMETERS_FILE), 'w') as f:
                json.dump(counts, f, indent=2)
