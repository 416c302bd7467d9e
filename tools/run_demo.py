"""The demo, end to end on a CPU: LoKi, AIM and a linear probe on synthetic action videos.

    python tools/run_demo.py        (``make demo`` creates .venv first)

Stages (see docs/demo.md):
  1. data      synthetic action videos and pose-labelled frames under data/demo
               (reused when data/demo/manifest.json records the same settings)
  2. pretrain  a tiny ViT trained on single frames (configs/demo/frame_pretrain.py)
  3. methods   the frozen pretrained ViT tuned on the videos with LoKi, AIM
               adapters and a linear probe (tools/train.py), each tested with
               1x1 and 3x1 views (tools/test.py); two lanes run side by side,
               LoKi in one and AIM then the linear probe in the other, each
               with half of the CPU cores
  4. summary   a table, also written to work_dirs/demo/summary.json

Every run retrains from scratch with fixed seeds, so a rerun gives the same
numbers. The output of each tool goes to work_dirs/demo/logs/<step>.log.
"""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA_ROOT = 'data/demo'
WORK_ROOT = 'work_dirs/demo'
LOG_DIR = osp.join(WORK_ROOT, 'logs')
VIDEOS = dict(videos_per_class=dict(train=100, val=10, test=30), num_frames=32, size=(32, 32), seed=0)
FRAMES = dict(frames_per_class=dict(train=300, val=10), size=(32, 32), seed=0, labels='pose')
PRETRAIN_CONFIG = 'configs/demo/frame_pretrain.py'
METHODS = dict(loki='configs/demo/loki.py', aim='configs/demo/aim.py', linear='configs/demo/linear_probe.py')
LANES = (('loki', ), ('aim', 'linear'))  # methods that run one after the other; lanes run side by side
VIEWS = ('1x1', '3x1')
TAIL_LINES = 40


class StageError(RuntimeError):
    """A demo step failed; the message says which and where its log is."""


class Clock:
    """Elapsed time since the demo started, for the progress lines."""

    def __init__(self):
        self.start = time.perf_counter()

    def elapsed(self):
        return time.perf_counter() - self.start

    def say(self, message):
        print(f'[demo {self.elapsed():6.1f} s] {message}', flush=True)


def run_tool(step, args, capture=False, threads=None):
    """Run ``python <args>`` from the repository root, its output to ``LOG_DIR/<step>.log``.

    Args:
        capture: keep standard output out of the log and return it (JSON printed by a tool).
        threads: CPU threads the tool may use (all when None).
    Returns:
        the seconds it took, or ``(seconds, stdout)`` with ``capture``.
    Raises:
        StageError: with the end of the log when the tool fails.
    """
    os.makedirs(osp.join(REPO, LOG_DIR), exist_ok=True)
    log_path = osp.join(LOG_DIR, f'{step}.log')
    start = time.perf_counter()
    env = dict(os.environ)
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    with open(osp.join(REPO, log_path), 'w') as log:
        result = subprocess.run([sys.executable, *args], cwd=REPO, env=env, stderr=subprocess.STDOUT if not capture else log,
                                stdout=subprocess.PIPE if capture else log, text=True)
    if result.returncode != 0:
        with open(osp.join(REPO, log_path)) as log:
            tail = ''.join(log.readlines()[-TAIL_LINES:])
        raise StageError(f'{step} failed (exit code {result.returncode}): python {" ".join(args)}\n'
                         f'--- last lines of {log_path} ---\n{tail}')
    seconds = time.perf_counter() - start
    return (seconds, result.stdout) if capture else seconds


def last_checkpoint(work_dir):
    """The checkpoint that mmengine recorded in ``work_dir/last_checkpoint``."""
    record = osp.join(REPO, work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        raise StageError(f'{record} is missing: the training run in {work_dir} saved no checkpoint')
    with open(record) as f:
        path = f.read().strip()
    return osp.relpath(path, REPO) if osp.isabs(path) else path


def last_val_accuracy(work_dir):
    """The last ``accuracy/top1`` (percent) that the training run in ``work_dir`` logged."""
    found = None
    for path in sorted(glob.glob(osp.join(REPO, work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                found = json.loads(line).get('accuracy/top1', found)
    if found is None:
        raise StageError(f'no accuracy/top1 in {work_dir}/*/vis_data/scalars.json: the run did not validate')
    return found


def make_data(clock):
    from loki_video.datasets.synthetic_actions import generate_dataset, generate_frame_dataset
    root = osp.join(REPO, DATA_ROOT)
    wrote_videos = generate_dataset(root, **VIDEOS)
    wrote_frames = generate_frame_dataset(root, **FRAMES)
    state = 'written' if wrote_videos or wrote_frames else 'up to date, reused'
    clock.say(f'data: {DATA_ROOT} {state} ({VIDEOS["videos_per_class"]} videos per class, '
              f'{FRAMES["frames_per_class"]} pose frames per class)')


def pretrain(clock):
    work_dir = osp.join(WORK_ROOT, 'pretrain')
    seconds = run_tool('pretrain', ['tools/train.py', PRETRAIN_CONFIG, '--work-dir', work_dir])
    checkpoint = last_checkpoint(work_dir)
    accuracy = last_val_accuracy(work_dir)
    clock.say(f'pretrain: {checkpoint} in {seconds:.1f} s, frame validation top-1 {accuracy:.1f} %')
    return checkpoint, accuracy, seconds


def tunable_parameters(name, config):
    """Tunable parameters of the model that ``config`` builds (tools/analysis/params.py)."""
    _, printed = run_tool(f'{name}_params', ['tools/analysis/params.py', config, '--json'], capture=True)
    return json.loads(printed.strip().splitlines()[-1])['tunable']


def tune_and_test(clock, name, config, backbone_checkpoint, threads):
    """Train one method on the videos, test it with every view setting; its summary entry."""
    work_dir = osp.join(WORK_ROOT, name)
    options = ['--cfg-options', f'model.backbone.pretrained={backbone_checkpoint}']
    train_seconds = run_tool(f'{name}_train', ['tools/train.py', config, '--work-dir', work_dir,
                                               '--no-validate', *options], threads=threads)
    checkpoint = last_checkpoint(work_dir)
    clock.say(f'{name}: trained in {train_seconds:.1f} s -> {checkpoint}')
    top1_views, test_seconds = {}, 0.0
    for views in VIEWS:
        test_seconds += run_tool(f'{name}_test_{views}', ['tools/test.py', config, checkpoint, '--views', views,
                                                          '--work-dir', work_dir, *options], threads=threads)
        with open(osp.join(REPO, work_dir, f'test_{views}.json')) as f:
            top1_views[views] = json.load(f)['top1']
        clock.say(f'{name}: test {views} top-1 {top1_views[views]:.3f}')
    return dict(top1=top1_views[VIEWS[0]], top1_views=top1_views, tunable_params=tunable_parameters(name, config),
                train_time_s=round(train_seconds, 1), wall_time_s=round(train_seconds + test_seconds, 1),
                threads=threads, config=config, checkpoint=checkpoint)


def run_lanes(clock, backbone_checkpoint):
    """Every method of ``LANES``, the lanes side by side; summary entries in ``METHODS`` order."""
    threads = max(1, (os.cpu_count() or 2) // len(LANES))

    def lane(names):
        return {name: tune_and_test(clock, name, METHODS[name], backbone_checkpoint, threads) for name in names}

    with ThreadPoolExecutor(len(LANES)) as pool:
        futures = [pool.submit(lane, names) for names in LANES]
        results = {}
        for future in futures:
            results.update(future.result())   # re-raises a lane's StageError
    return {name: results[name] for name in METHODS}


def format_table(methods):
    views = ''.join(f'{"top-1 " + v:>12}' for v in VIEWS)
    lines = [f'{"method":<10}{"tunable params":>16}{views}{"wall time":>12}']
    for name, result in methods.items():
        top1 = ''.join(f'{result["top1_views"][v]:>12.3f}' for v in VIEWS)
        lines.append(f'{name:<10}{result["tunable_params"]:>16,}{top1}{result["wall_time_s"]:>10.1f} s')
    return '\n'.join(lines)


def main():
    clock = Clock()
    summary = dict(methods={})
    try:
        make_data(clock)
        checkpoint, accuracy, seconds = pretrain(clock)
        summary['pretrain'] = dict(config=PRETRAIN_CONFIG, checkpoint=checkpoint,
                                   frame_val_top1=accuracy / 100.0,
                                   wall_time_s=round(seconds, 1))
        summary['methods'] = run_lanes(clock, checkpoint)
    except StageError as error:
        clock.say(f'FAILED: {error}')
        sys.exit(1)
    summary['total_time_s'] = round(clock.elapsed(), 1)
    path = osp.join(REPO, WORK_ROOT, 'summary.json')
    with open(path, 'w') as f:
        json.dump(summary, f, indent=2)
    print('\n' + format_table(summary['methods']))
    clock.say(f'done: {osp.relpath(path, REPO)}')


if __name__ == '__main__':
    main()
