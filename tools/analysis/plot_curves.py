"""Plot training curves of one or more work dirs on one figure (one panel per scalar).

    python tools/analysis/plot_curves.py WORK_DIR [WORK_DIR ...] [--keys loss acc/top1 lr]
        [--names NAME ...] [--out curves.png]

Reads mmengine's WORK_DIR/<timestamp>/vis_data/scalars.json of every training run
in each work dir (resumed runs continue the curve). The legend names each line by
its work dir's folder name (or --names). Default keys: loss, acc/top1 (video),
accuracy/top1 (image) and lr, those that were logged.
"""
import argparse

from loki_video.output_paths import writable_file
from loki_video.tool_main import run_main
from loki_video.visualization.curves import plot_curves


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('work_dirs', nargs='+', metavar='WORK_DIR', help='training work dirs to compare')
    parser.add_argument('--keys', nargs='+', help='scalars to plot (default: loss, acc/top1, accuracy/top1, lr)')
    parser.add_argument('--names', nargs='+', help='legend names, one per work dir (default: folder names)')
    parser.add_argument('--out', default='curves.png', help='output image (default curves.png)')
    args = parser.parse_args(argv)
    if args.names and len(args.names) != len(args.work_dirs):
        parser.error(f'--names gives {len(args.names)} names for {len(args.work_dirs)} work dirs')
    return args


def main(argv=None):
    args = parse_args(argv)
    writable_file(args.out, '--out')
    keys = plot_curves(args.work_dirs, args.keys, args.out, args.names)
    print(f'{", ".join(keys)} of {len(args.work_dirs)} run(s) -> {args.out}')


if __name__ == '__main__':
    run_main(main)
