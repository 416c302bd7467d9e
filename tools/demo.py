"""Top-k classes of videos or images with a trained model.

    python tools/demo.py CONFIG CKPT INPUT [INPUT ...] [--labels FILE] [--topk 5]
        [--views CLIPSxCROPS] [--json OUT] [--device cpu] [--cfg-options KEY=VALUE ...]

The order is mmaction2's demo's (and tools/visualize_attention.py's): config, checkpoint, inputs.
INPUT: video or image files, or folders of them (a progress bar shows for several). An input that
cannot be decoded is reported in one line and the others go on; the exit status is then 1.
Class names come from --labels (one name per line, line i names class i), else from
the config's ``label_file``; Kinetics-400's ships as loki_video/labels/kinetics400.txt,
and tools/data/build_video_list.py --label-names writes those of Kinetics-700, SSv2 and
Diving-48 from the datasets' own annotation files. Without names, class indices are printed.
"""
import argparse
import json

from tqdm import tqdm

from loki_video.apis import collect_inputs, init_model, predict, resolve_labels
from loki_video.apis.inputs import for_each_input
from loki_video.config import DictAction
from loki_video.datasets.multi_view import parse_views
from loki_video.tool_main import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='video or image config')
    parser.add_argument('checkpoint', help='checkpoint (full or tunable-only, or an AIM release)')
    parser.add_argument('inputs', nargs='+', metavar='INPUT', help='video/image files or folders')
    parser.add_argument('--labels', help="label file (default: the config's label_file)")
    parser.add_argument('--topk', type=int, default=5, help='classes to print (default 5)')
    parser.add_argument('--views', type=parse_views, metavar='CLIPSxCROPS',
                        help="test views of videos, e.g. 3x3 (default: the config's)")
    parser.add_argument('--json', metavar='OUT', help='also write the predictions to this JSON file')
    parser.add_argument('--device', default='cpu', help='e.g. cpu or cuda:0')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={}, help='override config keys')
    args = parser.parse_args(argv)
    if not args.config.endswith('.py'):
        parser.error(f'the first argument is the config (a .py file), got {args.config}: '
                     'tools/demo.py CONFIG CKPT INPUT [INPUT ...], as mmaction2\'s demo')
    return args


def format_predictions(path, predictions):
    """Lines: the input, then ``rank. name (index)  score`` per class."""
    lines = [path]
    for rank, p in enumerate(predictions, 1):
        name = p['name'] if p['name'] is not None else 'class'
        lines.append(f"  {rank}. {name} ({p['index']})  {p['score']:.4f}")
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    files = collect_inputs(args.inputs)
    model = init_model(args.config, args.checkpoint, args.device, args.cfg_options)
    labels = resolve_labels(args.labels, model.cfg)
    results = []

    def classify(path, _):
        predictions = predict(model, path, args.topk, args.views, labels)
        if labels is None:
            predictions = [dict(index=index, score=score, name=None) for index, score in predictions]
        results.append(dict(input=path, predictions=predictions))
        tqdm.write(format_predictions(path, predictions))
    try:
        for_each_input(files, classify, 'inference')
    finally:  # the readable inputs' predictions are written also when some failed
        if args.json:
            with open(args.json, 'w') as f:
                json.dump(results, f, indent=2)


if __name__ == '__main__':
    run_main(main)
