"""Training curves from mmengine's scalars.json (format as written by LocalVisBackend)."""
import json

import pytest

from loki_video.visualization.curves import plot_curves, read_scalars


def write_run(work_dir, timestamp, records):
    folder = work_dir / timestamp / 'vis_data'
    folder.mkdir(parents=True)
    (folder / 'scalars.json').write_text(''.join(json.dumps(r) + '\n' for r in records))


def train(iteration, epoch, loss):
    return dict(lr=0.1, loss=loss, time=0.5, epoch=epoch, iter=iteration, step=iteration)


def test_validation_points_sit_at_the_iteration_they_followed(tmp_path):
    # By-epoch logging: validation lines carry step = epoch, not the iteration.
    write_run(tmp_path, '20240101_000000', [train(1, 1, 2.0), train(2, 1, 1.5), {'acc/top1': 0.5, 'step': 1}])
    write_run(tmp_path, '20240101_010000', [train(3, 2, 1.0), train(4, 2, 0.8), {'acc/top1': 0.7, 'step': 2}])
    write_run(tmp_path, '20240101_020000', [{'acc/top1': 0.7, 'step': 0}])    # a test run: left out
    curves = read_scalars(str(tmp_path))
    assert curves['loss'] == ([1, 2, 3, 4], [2.0, 1.5, 1.0, 0.8])
    assert curves['acc/top1'] == ([2, 4], [0.5, 0.7])
    assert 'epoch' not in curves and 'step' not in curves


def test_plot_compares_runs_and_names_missing_keys(tmp_path):
    for name in ('loki', 'aim'):
        write_run(tmp_path / name, '20240101_000000', [train(1, 1, 2.0), {'acc/top1': 0.5, 'step': 1}])
    out = tmp_path / 'curves.png'
    keys = plot_curves([str(tmp_path / 'loki'), str(tmp_path / 'aim')], out=str(out))
    assert keys == ['loss', 'acc/top1', 'lr'] and out.stat().st_size > 0
    with pytest.raises(KeyError, match='logged:'):
        plot_curves([str(tmp_path / 'loki')], keys=['accuracy/top5'], out=str(out))
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        plot_curves([str(tmp_path)], out=str(out))
