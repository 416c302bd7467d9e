"""collect_results.py on fake work dirs laid out as mmengine writes them."""
import json
import subprocess
import sys
from collections import OrderedDict
from pathlib import Path

import pytest
from mmengine.config import Config

from tool_loading import load_tool

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'analysis' / 'collect_results.py'
collect_results = load_tool('tools/analysis/collect_results.py')
GRID = collect_results.GRID


def parameter_report(tunable_without_head, head=7_690):
    """What ParameterReportHook writes to parameters.json (count_parameters)."""
    groups = OrderedDict([('spatial_slot', {'total': tunable_without_head, 'tunable': tunable_without_head}),
                          ('head', {'total': head, 'tunable': head}),
                          ('pretrained', {'total': 85_000_000, 'tunable': 0})])
    total = sum(g['total'] for g in groups.values())
    return dict(total=total, tunable=tunable_without_head + head, groups=groups)


def fake_run(work_dir, stamp, val=(), test=None, report=None):
    """One mmengine run folder: scalars of train and val steps, a test dump, a text log and the
    parameter report."""
    run = work_dir / stamp
    (run / 'vis_data').mkdir(parents=True)
    lines = [{'lr': 4e-4, 'loss': 2.3, 'epoch': 1, 'iter': 10, 'step': 10}]
    lines += [{'accuracy/top1': top1, 'data_time': 0.01, 'time': 0.1, 'step': epoch}
              for epoch, top1 in enumerate(val, 1)]
    (run / 'vis_data' / 'scalars.json').write_text(''.join(json.dumps(x) + '\n' for x in lines))
    if test is not None:
        (run / f'{stamp}.json').write_text(json.dumps({'accuracy/top1': test, 'data_time': 0.01, 'time': 0.1}))
    (run / f'{stamp}.log').write_text(f'{stamp[:4]}/01/01 00:00:00 - mmengine - INFO - Config: ...\n')
    if report is not None:
        (run / 'parameters.json').write_text(json.dumps(report))


@pytest.fixture
def work_dirs(tmp_path):
    root = tmp_path / 'work_dirs'
    # best validation epoch only; the parameter report is there
    fake_run(root / 'loki_clip-vit-b16_cifar10', '20250101_000000', val=(90.0, 92.5, 91.0),
             report=parameter_report(4_112_640))
    # an old run with validation, a newer one with a test result: the test result counts
    fake_run(root / 'loki_clip-vit-b16_cifar100', '20250101_000000', val=(70.0,))
    fake_run(root / 'loki_clip-vit-b16_cifar100', '20250102_000000', test=80.25)
    # all seven datasets: the average is filled in
    for i, dataset in enumerate(GRID.DATASETS):
        fake_run(root / f'bias_vit-b16-in21k_{dataset}', '20250101_000000', test=60.0 + i,
                 report=parameter_report(102_912, head=769 * (i + 1)))
    # nothing logged yet, and a folder that is no experiment
    (root / 'lora_clip-vit-b16_dtd').mkdir()
    (root / 'notes').mkdir()
    return root


@pytest.fixture
def paper_file(tmp_path):
    path = tmp_path / 'paper.csv'
    columns = ['backbone', 'method', 'params_m', *GRID.DATASETS, 'average']
    known = ['clip-vit-b16', 'loki', '4.11', '97.50'] + ['unknown'] * (len(columns) - 4)
    unknown = ['clip-vit-b16', 'lora'] + ['unknown'] * (len(columns) - 2)
    path.write_text('# a comment line\n' + '\n'.join(','.join(r) for r in (columns, known, unknown)) + '\n')
    return path


def test_tables_side_by_side_with_the_paper(work_dirs, paper_file):
    markdown, tables = collect_results.build_report([str(work_dirs)], paper_file)
    assert list(tables) == ['vit-b16-in21k', 'clip-vit-b16']
    clip = {(r['method'], r['source']): r for r in tables['clip-vit-b16']}
    assert list(clip) == [('lora', 'ours'), ('lora', 'paper'), ('lora', 'difference'),
                          ('loki', 'ours'), ('loki', 'paper'), ('loki', 'difference')]
    loki = clip['loki', 'ours']
    assert loki['values'] == {'cifar10': 92.5, 'cifar100': 80.25}
    assert loki['val_only'] == ['cifar10']
    assert loki['params_m'] == pytest.approx(4.11264)
    assert loki['average'] is None
    assert clip['lora', 'ours']['values'] == {} and clip['lora', 'ours']['params_m'] is None
    assert clip['loki', 'paper']['values']['cifar10'] == 97.5
    assert clip['loki', 'paper']['values']['dtd'] is None
    difference = clip['loki', 'difference']
    assert difference['values'] == {'cifar10': pytest.approx(-5.0)} and difference['val_only'] == ['cifar10']
    assert difference['params_m'] == pytest.approx(0.00264) and difference['average'] is None

    (bias,) = tables['vit-b16-in21k']
    assert bias['params_m'] == pytest.approx(0.102912)  # the head, different per dataset, is left out
    assert bias['average'] == pytest.approx(63.0)

    assert '### CLIP ViT-B/16' in markdown
    assert '| LoKi | ours | 4.113 | 92.50* | 80.25 |' in markdown
    assert '| LoKi | paper | 4.110 | 97.50 | ? |' in markdown
    assert '| LoKi | difference | +0.003 | -5.00* |  |' in markdown
    assert '| Bias tuning | ours | 0.103 | 60.00 | 61.00 | 62.00 | 63.00 | 64.00 | 65.00 | 66.00 | 63.00 |' in markdown


def test_dumped_config_names_the_experiment_and_gives_the_parameters(tmp_path):
    work_dir = tmp_path / 'my_run'
    fake_run(work_dir, '20250101_000000', test=55.0)
    cfg = Config.fromfile(str(GRID.config_path('adapter', 'vit-b16-in21k', 'mnist')))
    cfg.merge_from_dict({'model.backbone.arch': 'tiny', 'model.head.in_channels': 64})
    cfg.dump(str(work_dir / 'adapter_vit-b16-in21k_mnist.py'))
    _, tables = collect_results.build_report([str(work_dir)], with_paper=False)
    (row,) = tables['vit-b16-in21k']
    assert row['method'] == 'adapter' and row['values'] == {'mnist': 55.0}
    adapter_64 = 2 * (64 * 16 + 16 + 16 * 64 + 64)  # two 64-16-64 adapters per block
    assert row['params_m'] * 1e6 == pytest.approx(2 * adapter_64)


def test_command_line_writes_markdown_and_csv(work_dirs, tmp_path):
    out = tmp_path / 'results'
    done = subprocess.run([sys.executable, str(TOOL), str(work_dirs / 'loki_clip-vit-b16_cifar10'),
                           str(work_dirs / 'loki_clip-vit-b16_cifar100'), '--out', str(out)],
                          capture_output=True, text=True, check=True)
    assert '| LoKi | ours | 4.113 | 92.50* | 80.25 |' in done.stdout
    assert (out / 'results.md').read_text() == done.stdout[:-1]
    rows = (out / 'results_clip-vit-b16.csv').read_text().splitlines()
    assert rows[0] == 'method,source,params_m,' + ','.join(GRID.DATASETS) + ',average,best_val_only'
    loki = [row for row in rows if row.startswith('loki,')]  # the paper's rows of the other methods too
    assert loki[0].startswith('loki,ours,4.1126,92.5000,80.2500,')
    assert loki[1] == 'loki,paper,,98.1000,88.3000,91.8000,99.3000,77.9000,69.3000,73.5000,85.5000,'
    assert loki[2] == 'loki,difference,,-5.6000,-8.0500,,,,,,,cifar10'
    assert '| Full fine-tuning | paper | ? | 43.20 | 18.80 | 9.50 |' in done.stdout

    nothing = subprocess.run([sys.executable, str(TOOL), str(work_dirs / 'notes')], capture_output=True, text=True)
    assert nothing.returncode != 0 and 'no image experiment' in nothing.stderr


def test_paper_file_holds_a_number_in_every_accuracy_cell():
    paper = collect_results.read_paper(collect_results.PAPER_RESULTS)
    assert set(paper) == {(backbone, method) for backbone in GRID.BACKBONES for method in GRID.METHODS}
    for (backbone, method), row in paper.items():
        accuracies = [row[d] for d in GRID.DATASETS] + [row['average']]
        assert all(isinstance(v, float) and 0 < v < 100 for v in accuracies), (backbone, method, row)
        assert abs(sum(row[d] for d in GRID.DATASETS) / len(GRID.DATASETS) - row['average']) < 0.051
    assert paper['clip-vit-b16', 'loki']['cifar100'] == 88.3 and paper['vit-b16-in21k', 'adapter']['food101'] == 89.9
