"""Confusion matrix of dumped test predictions (``tools/test.py --dump PKL``).

The dump is mmengine ``DumpResults``' list of data sample dicts: mmaction2
1.x writes ``pred_scores.item`` and ``gt_labels.item``, mmpretrain (and
mmaction2 >= 1.2) ``pred_score`` and ``gt_label``. Samples flagged invalid
by the dataset (unreadable videos, ``invalid_sample``) are left out.
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.fileio import load

from loki_video.datasets.robust_video_dataset import INVALID_KEY
from loki_video.user_error import UserKeyError, UserValueError

MAX_LABELLED_CLASSES = 40   # tick labels (and counts, up to 20 classes) only for small matrices


def _field(record, flat, nested):
    if flat in record:
        return record[flat]
    if nested in record:
        return record[nested]['item']
    raise UserKeyError(f'a dumped sample has neither {flat!r} nor {nested!r}; keys: {sorted(record)}')


def read_dump(path: str) -> Tuple[torch.Tensor, torch.Tensor, int]:
    """Scores and true labels of a dump.

    Returns:
        (scores (N, C) float tensor, labels (N,) long tensor, number of excluded invalid samples).
    """
    records = load(path)
    valid = [record for record in records if not record.get(INVALID_KEY)]
    if not valid:
        raise UserValueError(f'{path} holds no valid predictions ({len(records)} samples, all invalid or none)')
    scores = torch.stack([torch.as_tensor(_field(r, 'pred_score', 'pred_scores')).float() for r in valid])
    labels = torch.stack([torch.as_tensor(_field(r, 'gt_label', 'gt_labels')).reshape(-1)[0] for r in valid])
    return scores, labels.long(), len(records) - len(valid)


def confusion_matrix(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(C, C) counts, row = true class, column = predicted (top-1) class."""
    from mmpretrain.evaluation import ConfusionMatrix
    return ConfusionMatrix.calculate(scores, labels, num_classes=scores.shape[1])


def most_confused(matrix: torch.Tensor, top: int = 10) -> List[tuple]:
    """Largest off-diagonal entries: ``[(true, predicted, count, fraction of the true class), ...]``."""
    matrix = np.asarray(matrix)
    off_diagonal = matrix.copy()
    np.fill_diagonal(off_diagonal, 0)
    order = np.argsort(off_diagonal, axis=None)[::-1][:top]
    pairs = []
    for flat in order:
        true, predicted = np.unravel_index(flat, matrix.shape)
        count = int(off_diagonal[true, predicted])
        if count == 0:
            break
        pairs.append((int(true), int(predicted), count, count / max(int(matrix[true].sum()), 1)))
    return pairs


def plot_confusion_matrix(matrix: torch.Tensor, out: str, labels: Optional[Sequence[str]] = None) -> None:
    """Save the matrix as an image (mmpretrain's plot; names and counts on small matrices)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from mmpretrain.evaluation import ConfusionMatrix

    num_classes = matrix.shape[0]
    small = num_classes <= MAX_LABELLED_CLASSES
    figure = ConfusionMatrix.plot(matrix, include_values=num_classes <= 20,
                                  classes=list(labels) if labels and small else None, show=False)
    if not small:
        figure.axes[0].set(xticks=[], yticks=[])
    figure.savefig(out, dpi=120, bbox_inches='tight')
    plt.close(figure)
