"""Training curves from mmengine's logged scalars.

mmengine's ``LocalVisBackend`` writes ``WORK_DIR/<timestamp>/vis_data/scalars.json``
for every run: one JSON object per line. Training lines hold ``iter``,
``epoch``, ``step`` (= iter), ``lr``, ``loss``, ... ; validation lines hold
the metrics (``acc/top1`` for video, ``accuracy/top1`` for image configs) and
``step``, which is the epoch when the log processor counts by epoch. Every
point is placed at a training iteration: a validation point at the
iteration of the training line logged just before it.
"""
import glob
import json
import os.path as osp
from collections import defaultdict

DEFAULT_KEYS = ('loss', 'acc/top1', 'accuracy/top1', 'lr')


def scalar_files(work_dir):
    """``scalars.json`` of the training runs in ``work_dir``, oldest first.

    A resumed run continues the iteration count of the one before, so all
    are read in turn; runs without training lines (``tools/test.py``) are left out.
    """
    paths = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not paths:
        raise FileNotFoundError(f'no {osp.join(work_dir, "<timestamp>", "vis_data", "scalars.json")}: '
                                'is it the work dir of a training run (mmengine LocalVisBackend)?')
    return paths


def read_scalars(work_dir):
    """Curves of one work dir: ``{key: ([iteration, ...], [value, ...])}``."""
    curves = defaultdict(lambda: ([], []))
    for path in scalar_files(work_dir):
        with open(path) as f:
            records = [json.loads(line) for line in f if line.strip()]
        if not any('iter' in record for record in records):
            continue
        iteration = 0
        for record in records:
            iteration = record.get('iter', iteration)
            for key, value in record.items():
                if key not in ('iter', 'epoch', 'step') and isinstance(value, (int, float)):
                    curves[key][0].append(iteration)
                    curves[key][1].append(value)
    if not curves:
        raise ValueError(f'{work_dir}: the scalars.json files hold no training iterations')
    return dict(curves)


def plot_curves(work_dirs, keys=None, out='curves.png', names=None):
    """One panel per key, one line per work dir; saved as an image.

    Args:
        work_dirs: training work dirs to compare.
        keys: scalar names; None plots those of ``DEFAULT_KEYS`` that were logged.
        out: image path (PNG).
        names: legend entries; default the work dirs' folder names.

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
        raise KeyError(f'scalars {missing or list(DEFAULT_KEYS)} were not logged in {list(work_dirs)}; '
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
