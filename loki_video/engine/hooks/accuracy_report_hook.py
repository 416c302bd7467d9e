"""Write the test accuracy with the number of views per video to the log and a JSON file."""
import json
import os.path as osp
from typing import Dict, Optional, Sequence, Union

import torch
from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner

# Report name -> metric name endings: mmaction2 AccMetric / ValidAccMetric ('acc/top1', 'acc/mean1',
# 'acc/evaluated') and mmpretrain Accuracy ('accuracy/top1').
REPORTED_METRICS = dict(top1=('top1',), top5=('top5',), mean_class_accuracy=('mean1', 'mean_class_accuracy'),
                        evaluated=('evaluated',), excluded=('excluded',))
SCORE_LABELS = (('top1', 'top-1'), ('top5', 'top-5'), ('mean_class_accuracy', 'mean class accuracy'))


def find_metric(metrics: Dict[str, float], endings: Sequence[str]) -> Optional[float]:
    """The value of the first metric whose last name part (``acc/top1`` -> ``top1``) is in ``endings``, or None."""
    return next((v for k, v in metrics.items() if k.split('/')[-1] in endings), None)


def views_of_inputs(inputs: Union[torch.Tensor, Sequence[torch.Tensor]]) -> int:
    """Views per sample of a collated test batch: the first axis of a video sample (V, C, T, H, W)."""
    first = inputs[0]
    return int(first.shape[0]) if first.ndim == 5 else 1


@HOOKS.register_module()
class AccuracyReportHook(Hook):
    """Log and save ``{views, clips, crops, top1, top5, mean_class_accuracy, evaluated, excluded}``.

    ``views`` is read from the test inputs (the number of clips x crops each
    video contributes), ``clips`` and ``crops`` from the test pipeline.
    Metrics without a sample count (plain ``AccMetric``) exclude nothing:
    ``evaluated`` is then the test set size.

    Args:
        filename (str): JSON file name inside the work dir. Defaults to ``'test.json'``.
        clips, crops: views of the test pipeline (None for image configs).
    """

    def __init__(self, filename: str = 'test.json', clips: Optional[int] = None, crops: Optional[int] = None) -> None:
        self.filename = filename
        self.clips = clips
        self.crops = crops
        self.input_shape = None
        self.views = None

    def after_test_iter(self, runner: Runner, batch_idx: int, data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence] = None) -> None:
        if self.input_shape is None and data_batch is not None:
            self.input_shape = list(data_batch['inputs'][0].shape)
            self.views = views_of_inputs(data_batch['inputs'])

    def after_test_epoch(self, runner: Runner, metrics: Optional[Dict[str, float]] = None) -> None:
        metrics = dict(metrics or {})
        report = dict(views=self.views, clips=self.clips, crops=self.crops,
                      input_shape=self.input_shape)
        report.update({name: find_metric(metrics, endings) for name, endings in REPORTED_METRICS.items()})
        if report['evaluated'] is None:
            report.update(evaluated=len(runner.test_dataloader.dataset), excluded=0)
        report['metrics'] = metrics
        views = f'{self.clips} clips x {self.crops} crops = ' if self.clips else ''
        scores = ', '.join(f'{label} {report[name]:.3f}' for name, label in SCORE_LABELS if report[name] is not None)
        runner.logger.info(f"test with {views}{report['views']} views per sample: {scores} "
                           f"({report['evaluated']} evaluated, {report['excluded']} excluded)")
        self._write(runner, report)

    @master_only
    def _write(self, runner, report) -> None:
        path = osp.join(runner.work_dir, self.filename)
        with open(path, 'w') as f:
            json.dump(report, f, indent=2, default=float)
        runner.logger.info(f'test report written to {path}')
