"""Test a checkpoint: top-1, top-5 and mean class accuracy, with the views per video.

    python tools/test.py CONFIG CKPT [--work-dir DIR] [--dump PKL] [--views CLIPSxCROPS]
        [--max-testing-views N] [--strict] [--compile] [--cfg-options KEY=VALUE ...]
        [--launcher {none,pytorch,slurm,mpi}]
    python tools/test.py FOLDER [...]

The report goes to the log and to WORK_DIR/test_<clips>x<crops>.json (test.json for image
configs). CKPT may be a full or tunable-only checkpoint of this project or a foreign one
(AIM's released models), converted on loading; a model folder (tools/export_checkpoint.py --folder)
stands for both CONFIG and CKPT.
"""
import argparse
import os.path as osp

from loki_video.apis.model_folder import model_files
from loki_video.checkpoints import CheckpointMismatchError, refuse_reinit
from loki_video.config import load_config
from loki_video.datasets.multi_view import count_views, get_test_pipeline, parse_views, set_views
from loki_video.engine.launcher import close_launcher, parse_run_args, setup_launcher
from loki_video.engine.preflight import check_before_building
from loki_video.engine.run_setup import build_runner, set_work_dir
from loki_video.output_paths import writable_file
from loki_video.tool_main import run_main
from loki_video.user_error import UserError, UserFileError, UserValueError


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', metavar='CONFIG|FOLDER', help='test config file, or a model folder')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint file (none after a model folder)')
    parser.add_argument('--work-dir', help='folder for the log and the JSON report '
                                           '(default ./work_dirs/<config name>)')
    parser.add_argument('--dump', help='also save the predictions to this .pkl file')
    parser.add_argument('--views', type=parse_views, metavar='CLIPSxCROPS',
                        help='clips per video x crops per clip, e.g. 1x1, 3x1, 1x3, 3x3 (crops: 1, 3 or 10)')
    parser.add_argument('--max-testing-views', type=int, metavar='N',
                        help='run the backbone on at most N views at a time (saves memory; batch size 1)')
    parser.add_argument('--strict', action='store_true',
                        help='fail on unreadable test videos instead of excluding them (ValidAccMetric)')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the test step (config key compile=True; the first batches compile)')
    return parse_run_args(parser, cfg_options_example='test_dataloader.num_workers=2')


def evaluators(cfg):
    """``cfg.test_evaluator`` as a list of metric configs."""
    evaluator = cfg.test_evaluator
    return list(evaluator) if isinstance(evaluator, (list, tuple)) else [evaluator]


def set_strict(cfg):
    """Make every ``ValidAccMetric`` of the test evaluator raise on unreadable videos."""
    metrics = [m for m in evaluators(cfg) if m.get('type') == 'ValidAccMetric']
    if not metrics:
        raise UserValueError("--strict needs test_evaluator = dict(type='ValidAccMetric'), the metric that "
                             'knows about unreadable videos; the config has '
                             f"{[m.get('type') for m in evaluators(cfg)]}")
    for metric in metrics:
        metric['strict'] = True


def merge_args(cfg, args):
    """Apply the command-line options to ``cfg`` (after ``--cfg-options``: explicit options win)."""
    set_work_dir(cfg, args.work_dir, args.config)
    refuse_reinit(cfg, 'tools/test.py')
    cfg.load_from = args.checkpoint
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise UserValueError(f'--dump {args.dump}: the file name must end with .pkl')
        cfg.test_evaluator = evaluators(cfg) + [dict(type='DumpResults', out_file_path=args.dump)]
    if args.views is not None:
        set_views(cfg, *args.views)
    if args.max_testing_views is not None:
        cfg.model.test_cfg = dict(cfg.model.get('test_cfg') or {}, max_testing_views=args.max_testing_views)
        cfg.test_dataloader.batch_size = 1  # mmaction2 splits the views of one video at a time
    if args.strict:
        set_strict(cfg)
    if args.compile:
        cfg.compile = cfg.get('compile') or True
    views = count_views(get_test_pipeline(cfg))
    clips, crops = views or (None, None)
    filename = f'test_{clips}x{crops}.json' if views else 'test.json'
    cfg.custom_hooks.append(dict(type='AccuracyReportHook', filename=filename, clips=clips, crops=crops))
    return cfg


def main():
    args = parse_args()
    writable_file(args.dump, '--dump', create_folder=True)
    try:
        if osp.isdir(args.config) and args.work_dir is None:  # a model folder: its results under its name
            args.work_dir = osp.join('./work_dirs', osp.basename(osp.normpath(args.config)))
        args.config, args.checkpoint = model_files(args.config, args.checkpoint)
        cfg = load_config(args.config, args.cfg_options)
        if '://' not in args.checkpoint and not osp.isfile(args.checkpoint):
            raise UserFileError(f'checkpoint {args.checkpoint} does not exist')
        merge_args(cfg, args)
        check_before_building(cfg, ('test_dataloader', ))
    except UserError as error:  # a wrong option or path: the message says what to do
        raise SystemExit(f'{args.config}: {error}')
    setup_launcher(cfg, args.launcher)
    runner = build_runner(cfg)
    try:
        runner.test()
    except CheckpointMismatchError as error:
        raise SystemExit(f'{args.checkpoint}: {error}')
    close_launcher()


if __name__ == '__main__':
    run_main(main)
