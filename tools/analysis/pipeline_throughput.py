"""Clips per second of a config's training pipeline with and without the decoder guard
(decode_timeout), side by side on real videos (loki_video/analysis/pipeline_throughput.py).

    python tools/analysis/pipeline_throughput.py CONFIG VIDEO [VIDEO ...] [--rounds 5] [--passes 2]
"""
import argparse

from loki_video.analysis.pipeline_throughput import pipeline_throughput
from loki_video.tool_main import run_main


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='a video config: its train_dataloader.dataset.pipeline is measured')
    parser.add_argument('videos', nargs='+', metavar='VIDEO')
    parser.add_argument('--rounds', type=int, default=5, help='alternating rounds, each way (default 5)')
    parser.add_argument('--passes', type=int, default=2, help='passes over the videos per round (default 2)')
    args = parser.parse_args()
    result = pipeline_throughput(args.config, args.videos, rounds=args.rounds, passes=args.passes)
    print(f'clips/s unguarded {result["unguarded"]:.2f}, guarded {result["guarded"]:.2f}, '
          f'ratio {result["ratio"]:.3f} (median of {args.rounds} rounds, {len(args.videos)} videos)')


if __name__ == '__main__':
    run_main(main)
