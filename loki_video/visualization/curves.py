"""Training curves from mmengine's logged scalars (:mod:`loki_video.analysis.logged_scalars`).

Every point is placed at a training iteration: a validation point (whose ``step`` is the epoch
when the log processor counts by epoch) at the iteration of the training line logged just
before it.
"""
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

from loki_video.analysis.logged_scalars import read_runs
from loki_video.user_error import UserKeyError, UserValueError

DEFAULT_KEYS = ('loss', 'acc/top1', 'accuracy/top1', 'lr')


def read_scalars(work_dir: str) -> Dict[str, list]:
    """Curves of one work dir: ``{key: ([iteration, ...], [value, ...])}``."""
    curves = defaultdict(lambda: ([], []))
    for records in read_runs(work_dir):  # a resumed run continues the iteration count of the one before
        if not any('iter' in record for record in records):  # a tools/test.py run
            continue
        iteration = 0
        for record in records:
            iteration = record.get('iter', iteration)
            for key, value in record.items():
                if key not in ('iter', 'epoch', 'step') and isinstance(value, (int, float)):
                    curves[key][0].append(iteration)
                    curves[key][1].append(value)
    if not curves:
        raise UserValueError(f'{work_dir}: the scalars.json files hold no training iterations')
    return dict(curves)


def plot_curves(work_dirs: Sequence[str], keys: Optional[Sequence[str]] = None, out: str = 'curves.png',
                names: Optional[Sequence[str]] = None) -> List[str]:
    """One panel per key, one line per work dir; saved as an image.

    Args:
        work_dirs (Sequence[str]): training work dirs to compare.
        keys (Sequence[str], optional): scalar names; None plots those of ``DEFAULT_KEYS`` that were logged.
        out (str): image path (PNG). Defaults to ``'curves.png'``.
        names (Sequence[str], optional): legend entries; default the work dirs' folder names.

    Returns:
        the keys plotted.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    runs = [read_scalars(work_dir) for work_dir in work_dirs]
    names = names or [osp.basename(osp.normpath(work_dir)) for work_dir in work_dirs]
    logged = set().union(*runs)
    if keys is None:
        keys = [key for key in DEFAULT_KEYS if key in logged]
    missing = [key for key in keys if key not in logged]
    if missing or not keys:
        raise UserKeyError(f'scalars {missing or list(DEFAULT_KEYS)} were not logged in {list(work_dirs)}; '
                           f'logged: {sorted(logged)}')
    figure, axes = plt.subplots(1, len(keys), figsize=(4.5 * len(keys), 3.6), squeeze=False)
    for axis, key in zip(axes[0], keys):
        for run, name in zip(runs, names):
            if key in run:
                iterations, values = run[key]
                axis.plot(iterations, values, marker='o' if len(values) < 30 else None, markersize=3, label=name)
        axis.set_title(key)
        axis.set_xlabel('iteration')
        axis.grid(alpha=0.3)
    axes[0][0].legend()
    figure.tight_layout()
    figure.savefig(out, dpi=120)
    plt.close(figure)
    return keys
