"""Train a video (mmaction2) or image (mmpretrain) model from a config; its default_scope decides.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--no-validate] [--tensorboard]
        [--auto-scale-lr] [--seed N] [--deterministic] [--full-checkpoint] [--compile]
        [--checkpoint-iters N] [--checkpoint-minutes M]
        [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]

Several processes: tools/dist_train.sh (torchrun) or tools/slurm_train.sh; see docs/training.md.
A worker that torchrun restarts (MAX_RESTARTS=N) or a job that slurm requeues resumes from the
newest checkpoint by itself; see docs/reliability.md.
"""
import argparse
import os

from mmengine.device import get_device
from mmengine.runner import find_latest_checkpoint

from loki_video.checkpoints import CheckpointMismatchError, checkpoint_settings
from loki_video.config import load_config
from loki_video.engine.launcher import close_launcher, parse_run_args, setup_launcher
from loki_video.engine.preflight import check_before_building, warn_random_frozen_backbone
from loki_video.engine.run_setup import build_runner, set_work_dir
from loki_video.tool_main import run_main
from loki_video.user_error import UserError, UserValueError

# Set by torchrun (on the failing node only: workers restarted with it learn of the restart from
# setup_launcher's generation) and by slurm on a restart.
RESTART_COUNTS = ('TORCHELASTIC_RESTART_COUNT', 'SLURM_RESTART_COUNT')
AMP_WRAPPERS = dict(OptimWrapper='AmpOptimWrapper', AmpOptimWrapper='AmpOptimWrapper',
                    FiniteOptimWrapper='FiniteAmpOptimWrapper', FiniteAmpOptimWrapper='FiniteAmpOptimWrapper')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='train config file')
    parser.add_argument('--work-dir', help='folder for logs and checkpoints (default ./work_dirs/<config name>)')
    parser.add_argument('--resume', nargs='?', const='auto',
                        help='resume from CKPT, or without a value from the latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (AmpOptimWrapper)')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the train step (config key compile=True; the first steps compile)')
    parser.add_argument('--no-validate', action='store_true', help='do not validate during training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by the actual total batch size / auto_scale_lr.base_batch_size')
    parser.add_argument('--seed', type=int, help="random seed (default: the config's, else random)")
    parser.add_argument('--diff-rank-seed', action='store_true', help='a different seed on every rank')
    parser.add_argument('--deterministic', action='store_true', help='deterministic cuDNN algorithms')
    parser.add_argument('--tensorboard', action='store_true',
                        help='also write TensorBoard event files to WORK_DIR/<run>/vis_data '
                             '(pip install -e ".[tensorboard]")')
    parser.add_argument('--checkpoint-iters', type=int, metavar='N',
                        help='also save a checkpoint every N iterations within epochs '
                             '(default_hooks.checkpoint.interval_iters; only the newest mid-epoch one is kept)')
    parser.add_argument('--checkpoint-minutes', type=float, metavar='M',
                        help='also save a checkpoint every M minutes within epochs (default_hooks.checkpoint.'
                             'interval_minutes, 30 in the runtime configs; 0: per epoch only)')
    parser.add_argument('--full-checkpoint', action='store_true',
                        help='save every weight, not only the tunable ones (checkpoint_cfg.mode=full)')
    return parse_run_args(parser, cfg_options_example='train_dataloader.batch_size=4')


def add_tensorboard(cfg):
    """Add mmengine's ``TensorboardVisBackend`` to the visualizer's backends (the local JSON one stays)."""
    import importlib.util
    if importlib.util.find_spec('tensorboard') is None:
        raise UserValueError('--tensorboard needs the tensorboard package: pip install -e ".[tensorboard]"')
    visualizer = cfg.get('visualizer')
    if not visualizer:
        raise UserValueError('--tensorboard needs a visualizer in the config '
                             '(configs/_base_/default_runtime.py has one)')
    backends = list(visualizer.get('vis_backends') or [])
    if not any(backend.get('type') == 'TensorboardVisBackend' for backend in backends):
        backends.append(dict(type='TensorboardVisBackend'))
    visualizer.vis_backends = backends


def set_mid_epoch_checkpoints(cfg, iters, minutes):
    """Set the checkpoint hook's mid-epoch intervals; a ``DefaultSampler`` becomes the
    ``ResumableSampler`` they need (the same order)."""
    checkpoint = cfg.default_hooks.get('checkpoint') or {}
    if checkpoint.get('type') != 'SafeCheckpointHook':
        raise UserValueError('--checkpoint-iters/--checkpoint-minutes need default_hooks.checkpoint.type '
                             f"'SafeCheckpointHook', the config has {checkpoint.get('type')!r}")
    for key, option, value in (('interval_iters', '--checkpoint-iters', iters),
                               ('interval_minutes', '--checkpoint-minutes', minutes)):
        if value is not None:
            if value < 0:
                raise UserValueError(f'{option} must be >= 0 (0: no mid-epoch checkpoints), not {value}')
            checkpoint[key] = value
    sampler = cfg.train_dataloader.get('sampler') or {}
    if sampler.get('type') == 'DefaultSampler':
        sampler.type = 'ResumableSampler'


def merge_args(cfg, args):
    """Apply the command-line options to ``cfg`` (after ``--cfg-options``: explicit options win)."""
    set_work_dir(cfg, args.work_dir, args.config)
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.amp:
        if get_device() == 'cpu':
            raise UserValueError('--amp needs a GPU (or NPU/MLU): mixed precision is not available on CPU')
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper not in AMP_WRAPPERS:
            raise UserValueError(f'--amp needs optim_wrapper.type one of {", ".join(AMP_WRAPPERS)}, '
                                 f'the config has {wrapper}')
        cfg.optim_wrapper.type = AMP_WRAPPERS[wrapper]
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.compile:
        cfg.compile = cfg.get('compile') or True  # keeps a dict of torch.compile options from the config
    if args.checkpoint_iters is not None or args.checkpoint_minutes is not None:
        set_mid_epoch_checkpoints(cfg, args.checkpoint_iters, args.checkpoint_minutes)
    if args.resume == 'auto' and find_latest_checkpoint(cfg.work_dir) is None:
        raise UserValueError(f'--resume: no checkpoint to resume from in {cfg.work_dir} (no last_checkpoint file); '
                             'give one (--resume PATH), or leave --resume out to start a new run')
    if args.resume is None and any(int(os.environ.get(name) or 0) > 0 for name in RESTART_COUNTS):
        args.resume = 'auto'  # restarted by torchrun or requeued by slurm: go on from the newest checkpoint
    if args.resume is not None:
        cfg.resume = True
        cfg.load_from = None if args.resume == 'auto' else args.resume
    if args.auto_scale_lr:
        if 'base_batch_size' not in (cfg.get('auto_scale_lr') or {}):
            raise UserValueError('--auto-scale-lr needs auto_scale_lr = dict(base_batch_size=...) in the config')
        cfg.auto_scale_lr.enable = True
    randomness = dict(cfg.get('randomness') or {})
    randomness.setdefault('seed', None)  # Runner.set_randomness needs the key (None: a random seed)
    if args.seed is not None:
        randomness['seed'] = args.seed
    if args.diff_rank_seed:
        randomness['diff_rank_seed'] = True
    if args.deterministic:
        randomness['deterministic'] = True
    cfg.randomness = randomness
    if args.full_checkpoint:
        cfg.checkpoint_cfg = dict(cfg.get('checkpoint_cfg') or {}, mode='full')
    if args.tensorboard:
        add_tensorboard(cfg)
    checkpoint_settings(cfg)  # a wrong checkpoint_cfg fails here, not after the model is built
    return cfg


def main():
    args = parse_args()
    try:
        cfg = load_config(args.config, args.cfg_options)
        merge_args(cfg, args)
        check_before_building(cfg, ('train_dataloader', 'val_dataloader'))
        warn_random_frozen_backbone(cfg)
    except UserError as error:  # a wrong option or path: the message says what to do
        raise SystemExit(f'{args.config}: {error}')
    generation = setup_launcher(cfg, args.launcher)
    if generation and args.resume is None:  # a restarted group of torchrun workers, on whichever node
        cfg.resume, cfg.load_from = True, None
    try:
        build_runner(cfg).train()
    except CheckpointMismatchError as error:
        raise SystemExit(f'{cfg.load_from}: {error}')
    close_launcher()


if __name__ == '__main__':
    run_main(main)
