"""Method x dataset tables of image top-1 accuracy, beside the paper's numbers.

    python tools/analysis/collect_results.py work_dirs/
    python tools/analysis/collect_results.py work_dirs/loki_clip-vit-b16_dtd work_dirs/lora_* --out results/

A work dir is named like its config, ``<method>_<backbone>_<dataset>`` (the default of
tools/train.py), or holds the config that mmengine dumped into it; a folder that is
neither is searched one level down. One table per backbone (the layout of the paper's
Tables 1 and 2): a row per method, our numbers ("ours") next to the paper's ("paper",
from data/paper_results/loki_image_classification.csv, "?" where unknown) and their
difference ("difference", ours - paper, where both are known).

* Top-1 (%): the newest test run in the work dir (``<timestamp>/<timestamp>.json``),
  else the best validation epoch (``<timestamp>/vis_data/scalars.json``), marked ``*``.
* Params (M): tunable parameters without the classification head (it differs per
  dataset), read from the run's ``parameters.json`` (``ParameterReportHook``), else recounted from the
  dumped config with ``count_parameters`` (no weights are loaded).
* Average: over the paper's seven datasets, only when all seven are known.

Prints Markdown; ``--out DIR`` also writes ``DIR/results.md`` and ``DIR/results_<backbone>.csv``.
"""
import argparse
import csv
import importlib.util
import json
import re
import sys
from pathlib import Path

from loki_video.analysis.logged_scalars import logged_values
from loki_video.engine.hooks.parameter_report_hook import PARAMETERS_FILE
from loki_video.tool_main import run_main
from loki_video.user_error import UserFileError

REPO = Path(__file__).resolve().parents[2]
PAPER_RESULTS = REPO / 'data' / 'paper_results' / 'loki_image_classification.csv'
METRIC = 'accuracy/top1'


def load_grid():
    """The experiment grid (configs/image/grid.py): method, backbone and dataset names."""
    spec = importlib.util.spec_from_file_location('image_grid', REPO / 'configs' / 'image' / 'grid.py')
    grid = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(grid)
    return grid


GRID = load_grid()


def experiment_of(work_dir):
    """(method, backbone, dataset) of a work dir, from its name or its dumped config; else None."""
    for name in [work_dir.name] + [p.stem for p in sorted(work_dir.glob('*.py'))]:
        cell = GRID.parse_experiment_name(name)
        if cell:
            return cell
    return None


def find_experiments(paths):
    """[(work_dir, (method, backbone, dataset))] for the given work dirs or their parents."""
    found = []
    for path in map(Path, paths):
        if not path.is_dir():
            raise UserFileError(f'work dir {path} does not exist')
        cell = experiment_of(path)
        if cell:
            found.append((path, cell))
            continue
        children = [(d, experiment_of(d)) for d in sorted(path.iterdir()) if d.is_dir()]
        found += [(d, c) for d, c in children if c]
    return found


def run_dirs(work_dir):
    """The timestamped run folders of a work dir, oldest first."""
    return sorted(d for d in work_dir.iterdir() if d.is_dir() and re.fullmatch(r'\d{8}_\d{6}', d.name))


def read_top1(work_dir):
    """(top-1, 'test' or 'val') of a work dir, or None when nothing was logged."""
    for run in reversed(run_dirs(work_dir)):
        test_json = run / f'{run.name}.json'
        if test_json.is_file():
            metrics = json.loads(test_json.read_text())
            if METRIC in metrics:
                return float(metrics[METRIC]), 'test'
    try:
        values = [float(value) for value in logged_values(work_dir, METRIC)]
    except FileNotFoundError:
        return None
    return (max(values), 'val') if values else None


def read_parameter_report(work_dir):
    """Tunable parameters without the head from the newest run's ``parameters.json``
    (written by ``ParameterReportHook``), or None."""
    for run in reversed(run_dirs(work_dir)):
        report = run / PARAMETERS_FILE
        if report.is_file():
            counts = json.loads(report.read_text())
            return counts['tunable'] - counts['groups'].get('head', {}).get('tunable', 0)
    return None


def recount_tunable(work_dir, cache):
    """Tunable parameters without the head of the config dumped in ``work_dir``, or None."""
    configs = sorted(work_dir.glob('*.py'), key=lambda p: p.stat().st_mtime)
    if not configs:
        return None
    from loki_video.config import build_model, load_config
    from loki_video.models.peft import count_parameters
    cfg = load_config(str(configs[-1]))
    cfg.model.backbone.pretrained = None
    key = json.dumps(cfg.model.backbone.to_dict(), sort_keys=True, default=str)
    if key not in cache:
        counts = count_parameters(build_model(cfg))
        cache[key] = counts['tunable'] - counts['groups'].get('head', {}).get('tunable', 0)
    return cache[key]


def collect(paths):
    """{(backbone, method): {'params': int|None, dataset: (top-1, 'test'|'val')}} of our runs."""
    results, recount_cache = {}, {}
    for work_dir, (method, backbone, dataset) in find_experiments(paths):
        row = results.setdefault((backbone, method), {'params': None})
        top1 = read_top1(work_dir)
        if top1 is None:
            print(f'collect_results: no {METRIC} logged in {work_dir}; cell left empty', file=sys.stderr)
        else:
            row[dataset] = top1
        if row['params'] is None:
            row['params'] = read_parameter_report(work_dir)
        if row['params'] is None:
            row['params'] = recount_tunable(work_dir, recount_cache)
    return results


def read_paper(path):
    """{(backbone, method): {'params_m': float|None, dataset: float|None, 'average': ...}}."""
    def number(text):
        try:
            return float(text)
        except (TypeError, ValueError):
            return None
    with open(path, newline='') as f:
        rows = csv.DictReader(line for line in f if not line.startswith('#'))
        return {(r['backbone'], r['method']): {k: number(v) for k, v in r.items()
                                               if k not in ('backbone', 'method')} for r in rows}


def mean_if_complete(values):
    values = [values.get(d) for d in GRID.DATASETS]
    return None if any(v is None for v in values) else sum(values) / len(values)


def table_rows(results, paper, backbone):
    """Rows (dicts) of one backbone's table: for each method, 'ours' then 'paper'.

    A paper row is shown next to our row, or alone when the paper file knows any of its values.
    """
    rows = []
    for method in GRID.METHODS:
        ours, theirs = results.get((backbone, method)), paper.get((backbone, method))
        if ours is not None:
            params = ours['params']
            cells = {d: v for d, v in ours.items() if d != 'params'}
            values = {d: v[0] for d, v in cells.items()}
            rows.append(dict(method=method, source='ours',
                             params_m=None if params is None else params / 1e6,
                             values=values, val_only=sorted(d for d, v in cells.items() if v[1] == 'val'),
                             average=mean_if_complete(values)))
        if theirs is not None and (ours is not None or any(v is not None for v in theirs.values())):
            values = {d: theirs.get(d) for d in GRID.DATASETS}
            average = theirs.get('average')
            rows.append(dict(method=method, source='paper', params_m=theirs.get('params_m'),
                             values=values, val_only=[],
                             average=mean_if_complete(values) if average is None else average))
            if ours is not None:
                rows.append(difference_row(rows[-2], rows[-1]))
    return rows


def difference_row(ours, paper):
    """``ours - paper`` per dataset, average and params where both are known."""
    def minus(a, b):
        return None if a is None or b is None else a - b
    return dict(method=ours['method'], source='difference', params_m=minus(ours['params_m'], paper['params_m']),
                values={d: v - paper['values'][d] for d, v in ours['values'].items()
                        if v is not None and paper['values'].get(d) is not None},
                val_only=[d for d in ours['val_only'] if paper['values'].get(d) is not None],
                average=minus(ours['average'], paper['average']))


def dataset_columns(rows):
    """The paper's datasets, then any other dataset found in the runs."""
    extra = sorted({d for r in rows for d in r['values']} - set(GRID.DATASETS))
    return list(GRID.DATASETS) + extra


def markdown_table(rows, backbone):
    datasets = dataset_columns(rows)
    names = [GRID.DATASETS.get(d, d) for d in datasets]
    lines = [f'### {GRID.BACKBONES[backbone]}', '',
             '| Method | Source | Params (M) | ' + ' | '.join(names) + ' | Average |',
             '|---|---|' + '---:|' * (len(names) + 2)]

    def cell(value, missing, digits=2, mark='', sign=''):
        return missing if value is None else f'{value:{sign}.{digits}f}{mark}'
    for r in rows:
        sign = '+' if r['source'] == 'difference' else ''
        missing = '?' if r['source'] == 'paper' else ''
        values = [cell(r['values'].get(d), missing, mark='*' if d in r['val_only'] else '', sign=sign)
                  for d in datasets]
        lines.append(f'| {GRID.METHODS[r["method"]]} | {r["source"]} | {cell(r["params_m"], missing, 3, sign=sign)} | '
                     + ' | '.join(values) + f' | {cell(r["average"], missing, sign=sign)} |')
    return '\n'.join(lines)


def write_csv(rows, path):
    datasets = dataset_columns(rows)
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['method', 'source', 'params_m', *datasets, 'average', 'best_val_only'])
        for r in rows:
            def fmt(v):
                return '' if v is None else f'{v:.4f}'
            writer.writerow([r['method'], r['source'], fmt(r['params_m']),
                             *(fmt(r['values'].get(d)) for d in datasets), fmt(r['average']),
                             ' '.join(r['val_only'])])


def build_report(work_dirs, paper_file=PAPER_RESULTS, with_paper=True):
    """(markdown text, {backbone: rows}) for the given work dirs."""
    results = collect(work_dirs)
    paper = read_paper(paper_file) if with_paper else {}
    tables = {b: table_rows(results, paper, b) for b in GRID.BACKBONES}
    tables = {b: rows for b, rows in tables.items() if any(r['source'] == 'ours' for r in rows)}
    parts = [markdown_table(rows, b) for b, rows in tables.items()]
    parts.append('Top-1 (%) on the test split; * = best validation epoch (no test run logged). '
                 'Params: tunable parameters without the classification head.')
    return '\n\n'.join(parts) + '\n', tables


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('work_dirs', nargs='+', help='experiment work dirs or folders holding them')
    parser.add_argument('--out', help='folder for results.md and results_<backbone>.csv')
    parser.add_argument('--paper', default=str(PAPER_RESULTS), help='CSV of the paper numbers')
    parser.add_argument('--no-paper', action='store_true', help='leave out the paper rows')
    return parser.parse_args()


def main():
    args = parse_args()
    markdown, tables = build_report(args.work_dirs, args.paper, not args.no_paper)
    if not tables:
        sys.exit(f'collect_results: no image experiment found in {args.work_dirs} '
                 '(work dirs are named <method>_<backbone>_<dataset>, see configs/image/grid.py)')
    print(markdown)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / 'results.md').write_text(markdown)
        for backbone, rows in tables.items():
            write_csv(rows, out / f'results_{backbone}.csv')


if __name__ == '__main__':
    run_main(main)
