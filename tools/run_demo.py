"""The demo, end to end on a CPU: LoKi, AIM and a linear probe on synthetic action videos.

    python tools/run_demo.py        (``make demo`` creates .venv first)
    python tools/run_demo.py --pretrain-only   (``make demo-pretrain``: stages 1-2, the backbone
                                               that configs/custom/ starts from)
    python tools/run_demo.py --data-root /tmp/d --work-root /tmp/w --videos-per-class train=2 val=1 test=1 \\
        --frames-per-class train=2 val=1 --cfg-options train_cfg.max_epochs=1 train_cfg.val_interval=1

Stages (see docs/demo.md):
  1. data      synthetic action videos and pose-labelled frames under --data-root
               (reused when its manifest.json records the same settings)
  2. pretrain  a tiny ViT trained on single frames (configs/demo/frame_pretrain.py)
  3. methods   the frozen pretrained ViT tuned on the videos with LoKi, AIM
               adapters and a linear probe (tools/train.py), each tested with
               1x1 and 3x1 views (tools/test.py); two lanes run side by side,
               LoKi in one and AIM then the linear probe in the other, each
               with half of the CPU cores
  4. summary   a table, also written to <work-root>/summary.json

Every run retrains from scratch with fixed seeds, so a rerun gives the same
numbers. The output of each tool goes to <work-root>/logs/<step>.log.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from mmengine.runner import find_latest_checkpoint

from loki_video.analysis.logged_scalars import logged_values
from loki_video.datasets.synthetic_actions import generate_dataset, generate_frame_dataset, split_count
from loki_video.tool_main import run_main

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA_ROOT = 'data/demo'
WORK_ROOT = 'work_dirs/demo'
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


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data-root', default=DATA_ROOT, help=f'synthetic data folder (default {DATA_ROOT})')
    parser.add_argument('--work-root', default=WORK_ROOT, help=f'work dirs, logs and summary (default {WORK_ROOT})')
    parser.add_argument('--videos-per-class', nargs='+', metavar='SPLIT=N', type=split_count,
                        help='videos per class and split (default: ' +
                        ' '.join(f'{k}={v}' for k, v in VIDEOS['videos_per_class'].items()) + ')')
    parser.add_argument('--frames-per-class', nargs='+', metavar='SPLIT=N', type=split_count,
                        help='pose frames per class and split (default: ' +
                        ' '.join(f'{k}={v}' for k, v in FRAMES['frames_per_class'].items()) + ')')
    parser.add_argument('--pretrain-only', action='store_true',
                        help='stop after stage 2: the frame-pretrained ViT that configs/custom/ starts from')
    parser.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='passed to every tools/train.py and tools/test.py run, e.g. train_cfg.max_epochs=1')
    args = parser.parse_args(argv)
    args.videos = dict(VIDEOS, videos_per_class=dict(args.videos_per_class or VIDEOS['videos_per_class']))
    args.frames = dict(FRAMES, frames_per_class=dict(args.frames_per_class or FRAMES['frames_per_class']))
    return args


def run_tool(args, step, tool_args, capture=False, threads=None):
    """Run ``python <tool_args>`` from the repository root, its output to ``<work root>/logs/<step>.log``.

    Args:
        capture: keep standard output out of the log and return it (JSON printed by a tool).
        threads: CPU threads the tool may use (all when None).
    Returns:
        the seconds it took, or ``(seconds, stdout)`` with ``capture``.
    Raises:
        StageError: with the end of the log when the tool fails.
    """
    log_path = osp.join(REPO, args.work_root, 'logs', f'{step}.log')
    os.makedirs(osp.dirname(log_path), exist_ok=True)
    start = time.perf_counter()
    env = dict(os.environ)
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    with open(log_path, 'w') as log:
        result = subprocess.run([sys.executable, *tool_args], cwd=REPO, env=env, text=True,
                                stdout=subprocess.PIPE if capture else log,
                                stderr=log if capture else subprocess.STDOUT)
    if result.returncode != 0:
        with open(log_path) as log:
            tail = ''.join(log.readlines()[-TAIL_LINES:])
        raise StageError(f'{step} failed (exit code {result.returncode}): python {" ".join(tool_args)}\n'
                         f'--- last lines of {log_path} ---\n{tail}')
    seconds = time.perf_counter() - start
    return (seconds, result.stdout) if capture else seconds


def last_checkpoint(work_dir):
    """The checkpoint that mmengine recorded in ``work_dir/last_checkpoint``."""
    path = find_latest_checkpoint(osp.join(REPO, work_dir))
    if path is None:
        raise StageError(f'{work_dir}/last_checkpoint is missing: the training run in {work_dir} saved no checkpoint')
    inside_repo = osp.isabs(path) and not osp.relpath(path, REPO).startswith('..')
    return osp.relpath(path, REPO) if inside_repo else path


def last_val_accuracy(work_dir):
    """The last ``accuracy/top1`` (percent) that the training run in ``work_dir`` logged."""
    try:
        values = logged_values(osp.join(REPO, work_dir), 'accuracy/top1')
    except FileNotFoundError:
        values = []
    if not values:
        raise StageError(f'no accuracy/top1 in {work_dir}/*/vis_data/scalars.json: the run did not validate')
    return values[-1]


def make_data(args, clock):
    root = osp.join(REPO, args.data_root)
    wrote_videos = generate_dataset(root, **args.videos)
    wrote_frames = generate_frame_dataset(root, **args.frames)
    state = 'written' if wrote_videos or wrote_frames else 'up to date, reused'
    clock.say(f'data: {args.data_root} {state} ({args.videos["videos_per_class"]} videos per class, '
              f'{args.frames["frames_per_class"]} pose frames per class)')


def pretrain(args, clock):
    work_dir = osp.join(args.work_root, 'pretrain')
    data = [f'{split}_dataloader.dataset.data_root={args.data_root}' for split in ('train', 'val')]
    seconds = run_tool(args, 'pretrain', ['tools/train.py', PRETRAIN_CONFIG, '--work-dir', work_dir,
                                          '--cfg-options', *data, *args.cfg_options])
    checkpoint = last_checkpoint(work_dir)
    accuracy = last_val_accuracy(work_dir)
    clock.say(f'pretrain: {checkpoint} in {seconds:.1f} s, frame validation top-1 {accuracy:.1f} %')
    return dict(config=PRETRAIN_CONFIG, checkpoint=checkpoint, frame_val_top1=accuracy / 100.0,
                wall_time_s=round(seconds, 1))


def tunable_parameters(args, name, config):
    """Tunable parameters of the model that ``config`` builds (tools/analysis/params.py)."""
    _, printed = run_tool(args, f'{name}_params', ['tools/analysis/params.py', config, '--json'], capture=True)
    return json.loads(printed.strip().splitlines()[-1])['tunable']


def tune_and_test(args, clock, name, backbone_checkpoint, threads):
    """Train one method on the videos, test it with every view setting; its summary entry."""
    config, work_dir = METHODS[name], osp.join(args.work_root, name)
    data = [f'{split}_dataloader.dataset.{key}' for split in ('train', 'test')
            for key in (f'ann_file={args.data_root}/{split}_list.txt', f'data_prefix.video={args.data_root}')]
    options = ['--cfg-options', f'model.backbone.pretrained={backbone_checkpoint}', *data, *args.cfg_options]
    train_seconds = run_tool(args, f'{name}_train', ['tools/train.py', config, '--work-dir', work_dir,
                                                     '--no-validate', *options], threads=threads)
    checkpoint = last_checkpoint(work_dir)
    clock.say(f'{name}: trained in {train_seconds:.1f} s -> {checkpoint}')
    top1_views, test_seconds = {}, 0.0
    for views in VIEWS:
        test_seconds += run_tool(args, f'{name}_test_{views}', ['tools/test.py', config, checkpoint, '--views', views,
                                                                '--work-dir', work_dir, *options], threads=threads)
        with open(osp.join(REPO, work_dir, f'test_{views}.json')) as f:
            top1_views[views] = json.load(f)['top1']
        clock.say(f'{name}: test {views} top-1 {top1_views[views]:.3f}')
    return dict(top1=top1_views[VIEWS[0]], top1_views=top1_views,
                tunable_params=tunable_parameters(args, name, config), train_time_s=round(train_seconds, 1),
                wall_time_s=round(train_seconds + test_seconds, 1), threads=threads, config=config,
                checkpoint=checkpoint)


def run_lanes(args, clock, backbone_checkpoint):
    """Every method of ``LANES``, the lanes side by side; summary entries in ``METHODS`` order."""
    threads = max(1, (os.cpu_count() or 2) // len(LANES))

    def lane(names):
        return {name: tune_and_test(args, clock, name, backbone_checkpoint, threads) for name in names}

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


def main(argv=None):
    args = parse_args(argv)
    clock = Clock()
    try:
        make_data(args, clock)
        summary = dict(pretrain=pretrain(args, clock))
        if not args.pretrain_only:
            summary['methods'] = run_lanes(args, clock, summary['pretrain']['checkpoint'])
    except StageError as error:
        clock.say(f'FAILED: {error}')
        sys.exit(1)
    summary['total_time_s'] = round(clock.elapsed(), 1)
    path = osp.join(args.work_root, 'summary.json')
    with open(osp.join(REPO, path), 'w') as f:
        json.dump(summary, f, indent=2)
    if 'methods' in summary:
        print('\n' + format_table(summary['methods']))
    clock.say(f'done: {path}')


if __name__ == '__main__':
    run_main(main)
