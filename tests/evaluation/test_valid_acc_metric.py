"""ValidAccMetric: accuracy over the readable videos, the unreadable ones named."""
import pytest
import torch
from mmaction.structures import ActionDataSample

from loki_video.datasets.robust_video_dataset import INVALID_KEY
from loki_video.evaluation.metrics.valid_acc_metric import ValidAccMetric


def _prediction(label, scores, invalid=None):
    sample = ActionDataSample().set_gt_labels(label)
    sample.set_pred_score(torch.tensor(scores))
    if invalid:
        sample.set_metainfo({INVALID_KEY: invalid})
    return sample.to_dict()


def test_valid_acc_metric_excludes_flagged_samples(captured_log):
    bad = dict(filename='videos/bad.mp4', reason='zero-byte file')
    batch = [
        _prediction(0, [0.9, 0.1]),
        _prediction(1, [0.2, 0.8]),
        _prediction(1, [0.7, 0.3], invalid=bad),
    ]
    metric = ValidAccMetric(metric_options=dict(top_k_accuracy=dict(
        topk=(1, ))))
    metric.process(None, batch)
    results = metric.evaluate(3)
    assert results == {
        'acc/top1': 1.0, 'acc/mean1': 1.0, 'acc/evaluated': 2,
        'acc/excluded': 1
    }
    assert any('videos/bad.mp4' in m for m in captured_log)

    strict = ValidAccMetric(strict=True)
    strict.process(None, batch)
    with pytest.raises(RuntimeError, match='videos/bad.mp4.*zero-byte'):
        strict.evaluate(3)
