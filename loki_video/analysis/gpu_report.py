"""The GPU report: the KAN kernels checked and timed, and the whole models side by side, in one run.

Three sections, each written to the JSON as soon as it is done (a run cut short keeps what it had):

* ``accuracy``: :data:`kan_accuracy.CASES` (and, in the full run, LoKi's layers on 12,608 rows) on the
  device, outputs and every gradient against float64 Cox-de Boor, plus the determinism of the weight
  gradients;
* ``kan``: KAN stacks forward and backward on a batch of tokens, float32 and bf16 autocast, Triton
  against the closed form, Cox-de Boor and an MLP (``benchmark.run``);
* ``models``: the configs' training steps side by side (bf16 AMP on CUDA), eager and compiled.

:data:`FULL` is the GPU run; :data:`QUICK` runs the same code on tiny shapes in a few seconds a
section (on a CPU with ``TRITON_INTERPRET=1``, so the Triton rows run in the interpreter).
"""
import json
import os
import os.path as osp
import platform
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch

from .benchmark import KAN_IMPLEMENTATIONS, KAN_LABELS, Options, Subject, mlp_widths, run
from .kan_accuracy import CASES, Case, case_errors, weight_gradients_repeat


@dataclass(frozen=True)
class Plan:
    """What a report measures: the accuracy ``cases``, KAN ``kan_widths`` on ``tokens`` rows, the ``configs``
    at ``batch`` clips (``cfg_options`` and view ``shape`` to shrink them), ``repeat`` timed steps after
    ``warmup``, eager and/or compiled (``compile``)."""
    kan_widths: tuple
    tokens: int
    configs: tuple
    batch: int
    repeat: int
    warmup: int
    compile: tuple = (False, True)
    cfg_options: tuple = ()
    shape: tuple = None
    cases: tuple = CASES


MODEL_CONFIGS = ('configs/aim_k400_8x1x1.py', 'configs/loki_k400_8x1x1.py', 'configs/linear_k400_8x1x1.py')
FULL = Plan(kan_widths=((96, 12, 96), (768, 11, 768)), tokens=12608, configs=MODEL_CONFIGS, batch=8,
            repeat=10, warmup=3, cases=CASES + (Case('LoKi 96->12, 12,608 rows', 96, 12, 12608),
                                                 Case('LoKi 12->96, 12,608 rows', 12, 96, 12608)))
QUICK = Plan(kan_widths=((16, 4, 16), ), tokens=64, configs=MODEL_CONFIGS, batch=1, repeat=2, warmup=1,
             compile=(False, ), cfg_options=(('model.backbone.arch', 'tiny'), ('model.backbone.img_size', 32),
                                            ('model.backbone.num_frames', 2), ('model.cls_head.in_channels', 64)),
             shape=(2, 32, 32), cases=(CASES[0], CASES[-1]))
# Targets of the full run (docs/performance.md): the KAN layer of LoKi and the whole model.
KAN_TARGET_MS = 0.25
KAN_TARGET_MLP_RATIO = 2.0
MODEL_TARGET_RATIO = 1.0


def environment(device: str) -> dict:
    """Versions and the device, for the report's head."""
    info = dict(python=platform.python_version(), torch=torch.__version__, device=device,
                date=time.strftime('%Y-%m-%d %H:%M:%S'))
    try:
        import triton
        info['triton'] = triton.__version__
    except ImportError:
        info['triton'] = None
    if device.startswith('cuda'):
        info.update(gpu=torch.cuda.get_device_name(device), cuda=torch.version.cuda)
    info['triton_interpret'] = os.environ.get('TRITON_INTERPRET') == '1'
    return info


def accuracy_section(device: str, plan: dict, log: Callable[[str], Any] = print) -> dict:
    """Every accuracy case of ``plan`` on ``device``: rows of ``{case, dtype, quantity, error, bound, ok}``."""
    rows = []
    for case in plan.cases:
        try:
            for error in case_errors(case, device):
                rows.append(dict(case=case.name, dtype=str(case.dtype)[6:], **error,
                                 ok=error['error'] <= error['bound']))
        except Exception:  # a failing case is a result of the report, not its end
            rows.append(dict(case=case.name, dtype=str(case.dtype)[6:], quantity='all', error=None, bound=None,
                             ok=False, failure=traceback.format_exc(limit=3)))
        log(f'accuracy: {case.name}: {"ok" if all(r["ok"] for r in rows if r["case"] == case.name) else "FAILED"}')
    deterministic = weight_gradients_repeat(device)
    log(f'accuracy: weight gradients bitwise repeatable: {deterministic}')
    return dict(cases=rows, deterministic=deterministic, passed=deterministic and all(r['ok'] for r in rows))


def kan_section(device: str, plan: dict, log: Callable[[str], Any] = print) -> list:
    """One side-by-side run per precision (float32, bf16 autocast) of every implementation and width."""
    runs = []
    for amp in (False, True):
        subjects = [Subject(f'{"-".join(map(str, widths))} {impl}', kan=widths, tokens=plan.tokens,
                            implementation=impl) for widths in plan.kan_widths for impl in KAN_IMPLEMENTATIONS]
        options = Options(mode='train', amp=amp, device=device)
        runs.append(_guarded(lambda: run(subjects, options, repeat=plan.repeat, warmup=plan.warmup, log=log),
                             precision='bf16 autocast' if amp else 'float32'))
    return runs


def models_section(device: str, plan: dict, log: Callable[[str], Any] = print) -> list:
    """One side-by-side run of the configs per compile setting: bf16 AMP on CUDA (float32 elsewhere)."""
    runs = []
    for compiled in plan.compile:
        subjects = [Subject(osp.splitext(osp.basename(config))[0], config=config) for config in plan.configs]
        options = Options(mode='train', batch=plan.batch, amp=device.startswith('cuda'), compile=compiled,
                          device=device, cfg_options=dict(plan.cfg_options), shape=plan.shape)
        runs.append(_guarded(lambda: run(subjects, options, repeat=plan.repeat, warmup=plan.warmup, log=log),
                             compiled=compiled, amp=options.amp, batch=plan.batch))
    return runs


def _guarded(measure, **setting):
    """``dict(**setting, results=measure())``, or the error in place of the results."""
    try:
        return dict(setting, results=measure())
    except Exception:
        return dict(setting, results=None, failure=traceback.format_exc(limit=5))


def check_targets(report: dict) -> list:
    """``[{target, value, ok}]`` for the targets the report's measurements decide; the KAN targets are those of
    the plan's first widths (LoKi's 96-12-96 in the full run)."""
    checks = []
    widths = '-'.join(map(str, report['plan']['kan_widths'][0]))
    mlp_name = '-'.join(map(str, mlp_widths(report['plan']['kan_widths'][0])))
    for kan_run in report.get('kan', []):
        by_name = {r['name']: r for r in kan_run['results'] or []}
        triton, mlp = by_name.get(f'{widths} triton'), by_name.get(f'{widths} mlp')
        if triton and mlp:
            ms = triton['step_time_s'] * 1e3
            checks.append(dict(target=f'KAN {widths} Triton, {kan_run["precision"]}: <= {KAN_TARGET_MS} ms',
                               value=f'{ms:.3f} ms', ok=ms <= KAN_TARGET_MS))
            ratio = triton['step_time_s'] / mlp['step_time_s']
            checks.append(dict(target=f'KAN {widths} Triton / MLP {mlp_name}, {kan_run["precision"]}: '
                               f'<= {KAN_TARGET_MLP_RATIO}', value=f'{ratio:.2f}', ok=ratio <= KAN_TARGET_MLP_RATIO))
    for model_run in report.get('models', []):
        by_name = {r['name']: r for r in model_run['results'] or []}
        aim, loki = by_name.get('aim_k400_8x1x1'), by_name.get('loki_k400_8x1x1')
        if aim and loki:
            mode = 'compiled' if model_run['compiled'] else 'eager'
            for key, label in (('step_time_s', 'step'), ('peak_memory_bytes', 'memory')):
                ratio = loki[key] / aim[key]
                checks.append(dict(target=f'LoKi / AIM {label}, {mode}: <= {MODEL_TARGET_RATIO:.2f}',
                                   value=f'{ratio:.3f}', ok=ratio <= MODEL_TARGET_RATIO))
    return checks


def markdown(report: dict) -> str:
    """The report as Markdown tables."""
    env = report['environment']
    lines = ['# GPU report', '', ', '.join(f'{k} {v}' for k, v in env.items()), '']
    if 'accuracy' in report:
        accuracy = report['accuracy']
        lines += ['## (a) Triton kernels against float64 Cox-de Boor', '',
                  f"All within bounds: {accuracy['passed']}; weight gradients bitwise repeatable: "
                  f"{accuracy['deterministic']}.", '',
                  '| case | input | output | grad x | grad base_weight | grad spline_weight | grad spline_scaler |',
                  '|---|---|---|---|---|---|---|']
        cases = {}
        for row in accuracy['cases']:
            cases.setdefault((row['case'], row['dtype']), []).append(row)
        for (name, dtype), rows in cases.items():
            cells = [('FAILED' if r['error'] is None else f"{r['error']:.1e}{'' if r['ok'] else ' FAILED'}")
                     for r in rows]
            lines.append(f'| {name} | {dtype} | ' + ' | '.join(cells) + ' |')
        lines.append('')
    for kan_run in report.get('kan', []):
        lines += [f"## (b) KAN forward + backward, {report['plan']['tokens']:,} tokens, {kan_run['precision']}", '']
        lines += _kan_table(kan_run) + ['']
    for model_run in report.get('models', []):
        mode = 'compiled' if model_run['compiled'] else 'eager'
        lines += [f"## (c) Training step, batch {model_run['batch']}, {'bf16 AMP' if model_run['amp'] else 'fp32'}, "
                  f'{mode}', '']
        lines += _model_table(model_run) + ['']
    if report.get('targets'):
        lines += ['## Targets', '', '| target | measured | met |', '|---|---|---|']
        lines += [f"| {c['target']} | {c['value']} | {'yes' if c['ok'] else 'no'} |" for c in report['targets']]
    return '\n'.join(lines) + '\n'


def _failed(run_):
    return ['```', run_['failure'].strip(), '```'] if run_['results'] is None else None


def _kan_table(kan_run):
    failed = _failed(kan_run)
    if failed:
        return failed
    results = {r['name']: r for r in kan_run['results']}
    lines = ['| layers | implementation | forward + backward (ms) | / MLP | / closed form | peak memory (MB) | '
             'max abs diff from Cox-de Boor |', '|---|---|---:|---:|---:|---:|---:|']
    for r in kan_run['results']:
        widths, impl = r['name'].split(' ')
        mlp, closed = results[f'{widths} mlp'], results[f'{widths} closed-form']
        kan = tuple(map(int, widths.split('-')))
        layers = f'MLP {"-".join(map(str, mlp_widths(kan)))}' if impl == 'mlp' else f'KAN {widths}'
        diff = f"{r['max_abs_diff']:.1e}" if 'max_abs_diff' in r else '-'
        lines.append(f"| {layers} | {KAN_LABELS[impl]} | {r['step_time_s'] * 1e3:.3f} | "
                     f"{r['step_time_s'] / mlp['step_time_s']:.2f} | {r['step_time_s'] / closed['step_time_s']:.2f} | "
                     f"{r['peak_memory_bytes'] / 2**20:,.1f} | {diff} |")
    return lines


def _model_table(model_run):
    failed = _failed(model_run)
    if failed:
        return failed
    first = model_run['results'][0]
    lines = ['| config | tunable params | step (ms) | clips/s | peak memory (MB) | step / first | memory / first |',
             '|---|---:|---:|---:|---:|---:|---:|']
    for r in model_run['results']:
        lines.append(f"| {r['name']} | {r['tunable_params']:,} | {r['step_time_s'] * 1e3:.1f} | "
                     f"{r['clips_per_s']:.1f} | {r['peak_memory_bytes'] / 2**20:,.0f} | "
                     f"{r['step_time_s'] / first['step_time_s']:.3f} | "
                     f"{r['peak_memory_bytes'] / first['peak_memory_bytes']:.3f} |")
    return lines


def write_report(report: dict, out_dir: str) -> None:
    """``gpu_report.json`` and ``gpu_report.md`` in ``out_dir``, each written to a temporary name and renamed."""
    os.makedirs(out_dir, exist_ok=True)
    for name, text in (('gpu_report.json', json.dumps(report, indent=1, default=str)),
                       ('gpu_report.md', markdown(report))):
        path = osp.join(out_dir, name)
        with open(path + '.tmp', 'w') as out:
            out.write(text)
        os.replace(path + '.tmp', path)


def build_report(device: str, plan: dict, sections: Sequence[str], out_dir: str,
                 log: Callable[[str], Any] = print) -> dict:
    """Run ``sections`` on ``device`` with ``plan``, writing the report after each; returns it."""
    report = dict(environment=environment(device), plan=dict(vars(plan), cases=[c.name for c in plan.cases]))
    runners = dict(accuracy=accuracy_section, kan=kan_section, models=models_section)
    for section in sections:
        start = time.perf_counter()
        log(f'== {section}')
        report[section] = runners[section](device, plan, log=log)
        report.setdefault('seconds', {})[section] = round(time.perf_counter() - start, 1)
        report['targets'] = check_targets(report)
        write_report(report, out_dir)
    return report

