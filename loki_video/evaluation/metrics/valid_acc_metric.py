"""Accuracy metric that leaves out samples flagged invalid by the dataset.

:class:`~loki_video.datasets.robust_video_dataset.RobustVideoDataset` in
test mode turns an unreadable video into a zero placeholder whose metainfo
holds ``invalid_sample = {'filename', 'reason'}``. This metric computes
mmaction2's ``AccMetric`` (top1, top5, mean1) on the other samples only and
adds ``evaluated`` and ``excluded`` counts.

Config::

    test_evaluator = dict(type='ValidAccMetric')            # warn, exclude
    test_evaluator = dict(type='ValidAccMetric', strict=True)  # raise
"""
from logging import WARNING
from typing import Any, Dict, List, Sequence, Tuple

from mmaction.evaluation import AccMetric
from mmaction.registry import METRICS
from mmengine.logging import print_log

from loki_video.datasets.robust_video_dataset import INVALID_KEY


@METRICS.register_module()
class ValidAccMetric(AccMetric):
    """``AccMetric`` over valid samples, with ``evaluated``/``excluded``.

    Args:
        strict (bool): Raise instead of excluding when any sample is invalid. Defaults to False.
        **kwargs (dict): ``AccMetric`` arguments (``metric_list``,
            ``metric_options``, ``collect_device``, ``prefix``).
    """

    def __init__(self, strict: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.strict = strict

    def process(self, data_batch: Sequence[Tuple[Any, Dict]],
                data_samples: Sequence[Dict]) -> None:
        """Store valid predictions as AccMetric does; note invalid ones."""
        valid = []
        for data_sample in data_samples:
            invalid = data_sample.get(INVALID_KEY)
            if invalid:
                self.results.append(dict(excluded=invalid))
            else:
                valid.append(data_sample)
        super().process(data_batch, valid)

    def compute_metrics(self, results: List) -> Dict:
        """AccMetric results on valid samples plus the two counts."""
        excluded = [r['excluded'] for r in results if 'excluded' in r]
        valid = [r for r in results if 'excluded' not in r]
        listing = '\n'.join(f'  {r["filename"]}: {r["reason"]}'
                            for r in excluded)
        if excluded and self.strict:
            raise RuntimeError(
                f'{len(excluded)} of {len(results)} test videos could not be '
                f'loaded:\n{listing}\nfix or remove them (see '
                'tools/data/check_videos.py), or set strict=False to '
                'evaluate without them.')
        if not valid:
            raise RuntimeError(
                f'all {len(results)} test videos are invalid, nothing to '
                f'evaluate:\n{listing}\ncheck the video root and list.')
        if excluded:
            print_log(
                f'{type(self).__name__}: excluded {len(excluded)} invalid '
                f'videos from accuracy:\n{listing}',
                logger='current',
                level=WARNING)
        metrics = super().compute_metrics(valid)
        metrics.update(evaluated=len(valid), excluded=len(excluded))
        return metrics
