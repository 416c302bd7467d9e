"""Prepare a dataset's videos for training: scaled to the short side the configs train at, a keyframe
where the pipeline reads (every frame by default), a constant frame rate; ordinary H.264 MP4s.

    python tools/data/prepare_videos.py LIST VIDEO_ROOT OUT_ROOT [--short-side 256] [--gop 1] [--crf 26]
        [--preset medium] [--tune psnr] [--workers N]

LIST is an mmaction2 annotation list (``<path relative to VIDEO_ROOT> <label>`` per line). Each video is
written to OUT_ROOT at the same relative path with the ``.mp4`` suffix, and OUT_ROOT/<LIST's name> lists
them with the same labels in the same order: point ``data_root`` / ``ann_file`` of a config there.
OUT_ROOT also gets ``<stem>.manifest.jsonl`` (a record a video: frames, fps, size, bytes, PSNR against
the scaled source) and ``<stem>.skipped.txt``. Run it again to go on after an interruption: finished
videos are kept. Exit status 0 when every video was prepared, 3 when some were skipped (each listed
with its reason), 1 on a mistake in the arguments. docs/data.md measures the options.
"""
import argparse
import math
import time

from loki_video.preparation.dataset_preparation import prepare_dataset
from loki_video.preparation.video_preparation import EncodingSettings
from loki_video.tool_main import run_main
from loki_video.user_error import UserValueError

SOME_SKIPPED = 3  # exit status when some sources could not be prepared


def parse_args(argv=None):
    defaults = EncodingSettings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('list', metavar='LIST', help='annotation list: <path relative to VIDEO_ROOT> <label> per line')
    parser.add_argument('video_root', metavar='VIDEO_ROOT')
    parser.add_argument('out_root', metavar='OUT_ROOT')
    parser.add_argument('--short-side', type=int, default=defaults.short_side,
                        help=f'pixels of the shorter side, 0 keeps the size (default {defaults.short_side})')
    parser.add_argument('--gop', type=int, default=defaults.gop,
                        help=f'frames from one keyframe to the next, 1: every frame (default {defaults.gop})')
    parser.add_argument('--crf', type=float, default=defaults.crf,
                        help=f"x264's constant rate factor, lower is larger and closer (default {defaults.crf:g})")
    parser.add_argument('--preset', default=defaults.preset, help=f"x264's preset (default {defaults.preset})")
    parser.add_argument('--tune', default=defaults.tune,
                        help=f"x264's tune, '' for none (default {defaults.tune})")
    parser.add_argument('--workers', type=int, default=0, help='processes (default: one per core)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    args = parser.parse_args(argv)
    if args.short_side < 0 or args.short_side % 2:
        raise UserValueError(f'--short-side {args.short_side}: give an even number of pixels, or 0')
    if args.gop < 1 or args.workers < 0 or not 0 <= args.crf <= 51:
        raise UserValueError('--gop must be at least 1, --workers at least 0 and --crf within 0-51')
    return args


def summary(result: dict, seconds: float) -> str:
    records = result['prepared'] + result['kept']
    lines = [f'{len(result["prepared"])} videos prepared, {len(result["kept"])} kept from an earlier run, '
             f'{len(result["skipped"])} skipped, in {seconds:.1f} s']
    if records:
        prepared_bytes = sum(record['bytes'] for record in records)
        source_bytes = sum(record['source_bytes'] for record in records)
        finite = [record['psnr_db'] for record in records if math.isfinite(record['psnr_db'])]
        psnr = f', mean PSNR {sum(finite) / len(finite):.2f} dB against the scaled sources' if finite else ''
        lines.append(f'{prepared_bytes / 1e6:.1f} MB ({prepared_bytes / source_bytes:.2f}x the sources){psnr}')
    lines += [f'skipped {path}: {reason}' for path, reason in result['skipped']]
    lines.append(f'list: {result["list"]}  manifest: {result["manifest"]}')
    return '\n'.join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    settings = EncodingSettings(short_side=args.short_side, gop=args.gop, crf=args.crf, preset=args.preset,
                                tune=args.tune)
    started = time.perf_counter()
    result = prepare_dataset(args.list, args.video_root, args.out_root, settings, workers=args.workers,
                             progress=not args.no_progress)
    print(summary(result, time.perf_counter() - started))
    return SOME_SKIPPED if result['skipped'] else 0


if __name__ == '__main__':
    raise SystemExit(run_main(main))
