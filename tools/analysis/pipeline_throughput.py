"""Clips per second per core of a config's data pipelines on samples of your own videos, side by side with
mmaction2's stock pipeline, with the frames decoded per clip and the cores a GPU needs
(loki_video/analysis/pipeline_throughput.py; docs/data.md).

    python tools/analysis/pipeline_throughput.py CONFIG SAMPLE [SAMPLE ...] [--splits train val test]
        [--pipelines project mmaction2 guarded] [--views 3x1] [--gpu-clips-per-s X] [--rounds 5] [--passes 2]

Each SAMPLE is a folder of videos (measured as one sample, named after the folder) or a video file (the
files given form one sample, 'videos').
"""
import argparse
import os.path as osp

from loki_video.analysis.pipeline_throughput import PIPELINES, SPLITS, format_table, pipeline_throughput, video_sample
from loki_video.tool_main import run_main


def samples_of(paths):
    samples = {}
    for path in paths:
        name = osp.basename(osp.normpath(path)) if osp.isdir(path) else 'videos'
        samples.setdefault(name, []).extend(video_sample(path))
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='a video config')
    parser.add_argument('samples', nargs='+', metavar='SAMPLE', help='a folder of videos, or video files')
    parser.add_argument('--splits', nargs='+', choices=SPLITS, default=['train'], help='(default: train)')
    parser.add_argument('--pipelines', nargs='+', choices=PIPELINES, default=['project', 'mmaction2'],
                        help="(default: project mmaction2; 'guarded' adds the decoder guard's cost)")
    parser.add_argument('--views', help='test views of the test pipeline, e.g. 3x1 (as tools/test.py --views)')
    parser.add_argument('--gpu-clips-per-s', type=float, help='clips/s one GPU trains on: prints the cores it needs')
    parser.add_argument('--rounds', type=int, default=5, help='alternating rounds (default 5)')
    parser.add_argument('--passes', type=int, default=2, help='passes over each sample per round (default 2)')
    args = parser.parse_args()
    rows = pipeline_throughput(args.config, samples_of(args.samples), splits=args.splits, pipelines=args.pipelines,
                               views=args.views, rounds=args.rounds, passes=args.passes)
    print(format_table(rows, args.gpu_clips_per_s))
    print(f'(median of {args.rounds} rounds, one core each)')


if __name__ == '__main__':
    run_main(main)
