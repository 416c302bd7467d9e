"""Confusion matrix of dumped predictions: both dump layouts, invalid samples left out."""
import pickle

import torch

from loki_video.visualization.confusion import confusion_matrix, most_confused, plot_confusion_matrix, read_dump


def one_hot_scores(predicted, num_classes=3):
    return torch.nn.functional.one_hot(torch.tensor(predicted), num_classes).float() * 0.8 + 0.05


def test_reads_mmaction_and_mmpretrain_dumps(tmp_path):
    mmaction = [dict(pred_scores=dict(item=one_hot_scores(p)), gt_labels=dict(item=torch.tensor([t])))
                for t, p in [(0, 0), (1, 2), (1, 2), (2, 2)]]
    mmaction.append(dict(pred_scores=dict(item=torch.zeros(3)), gt_labels=dict(item=torch.tensor([0])),
                         invalid_sample=dict(filename='bad.mp4', reason='truncated')))
    mmpretrain = [dict(pred_score=one_hot_scores(p), gt_label=torch.tensor([t])) for t, p in [(0, 1), (2, 2)]]
    for name, records, expected_excluded in (('a.pkl', mmaction, 1), ('b.pkl', mmpretrain, 0)):
        with open(tmp_path / name, 'wb') as f:
            pickle.dump(records, f)
        scores, labels, excluded = read_dump(str(tmp_path / name))
        assert scores.shape == (len(records) - expected_excluded, 3)
        assert excluded == expected_excluded
    scores, labels, _ = read_dump(str(tmp_path / 'a.pkl'))
    matrix = confusion_matrix(scores, labels)
    assert matrix.tolist() == [[1, 0, 0], [0, 0, 2], [0, 0, 1]]
    assert most_confused(matrix) == [(1, 2, 2, 1.0)]
    out = tmp_path / 'confusion.png'
    plot_confusion_matrix(matrix, str(out), ['a', 'b', 'c'])
    assert out.stat().st_size > 0
