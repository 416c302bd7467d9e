"""Video decoders side by side on real files: ms per clip and frames that differ from
decoding in order (loki_video/analysis/decoders.py).

    python tools/analysis/decoder_benchmark.py VIDEO [VIDEO ...] [--decoders torchcodec decord pyav opencv]
        [--clips 4] [--clip-len 8] [--repeat 3] [--json OUT]

Each clip is read with a fresh reader, as a dataloader worker reads one; the time is the best of
--repeat passes. A frame is wrong when any pixel differs from decoding the video from its first
frame on. Decoders whose package is missing are left out (PyAV: pip install av).
"""
import argparse
import json
import os.path as osp

from loki_video.analysis.decoders import DECODERS, available_decoders, compare_decoders, decoder_version
from loki_video.output_paths import writable_file
from loki_video.tool_main import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('videos', nargs='+', metavar='VIDEO')
    parser.add_argument('--decoders', nargs='+', choices=DECODERS,
                        help='default: every one that can run here')
    parser.add_argument('--clips', type=int, default=4, help='clips per video (default 4)')
    parser.add_argument('--clip-len', type=int, default=8, help='frames per clip (default 8)')
    parser.add_argument('--repeat', type=int, default=3, help='passes over the clips; the best counts (default 3)')
    parser.add_argument('--json', metavar='OUT', help='also write the results to this JSON file')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    writable_file(args.json, '--json')
    here = available_decoders()
    decoders = args.decoders or here
    missing = [name for name in decoders if name not in here]
    if missing:
        raise SystemExit(f'decoders not available here: {", ".join(missing)}')
    versions = {name: decoder_version(name) for name in decoders}
    print('decoders: ' + ', '.join(f'{name} {version}' for name, version in versions.items()))
    print(f'{"video":<28}' + ''.join(f'{name + " ms/clip":>18}{"wrong":>8}' for name in decoders))
    results = {}
    for path in args.videos:
        if not osp.isfile(path):
            raise SystemExit(f'{path}: no such file')
        results[path] = compare_decoders(path, decoders, args.clips, args.clip_len, args.repeat)
        row = results[path]
        print(f'{osp.basename(path):<28}' + ''.join(
            f'{row[name]["ms_per_clip"]:>18.1f}{row[name]["wrong"]:>4}/{row[name]["frames"]:<3}' for name in decoders))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(versions=versions, clips=args.clips, clip_len=args.clip_len, videos=results), f, indent=2)


if __name__ == '__main__':
    run_main(main)
