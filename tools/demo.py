"""Top-k classes of videos or images with a trained model.

    python tools/demo.py CONFIG CKPT INPUT [INPUT ...] [--labels FILE] [--topk 5]
        [--views CLIPSxCROPS] [--json OUT] [--out-video OUT [--out-size W H]] [--device cpu]
        [--cfg-options KEY=VALUE ...]

The order is mmaction2's demo's (and tools/visualize_attention.py's): config, checkpoint, inputs; a model
folder (tools/export_checkpoint.py --folder, docs/sharing.md) stands for config and checkpoint, and its
classes.txt names the classes.
INPUT: video or image files, or folders of them (a progress bar shows for several). An input that
cannot be decoded is reported in one line and the others go on; the exit status is then 1.
Class names come from --labels (one name per line, line i names class i), else from
the config's ``label_file``; Kinetics-400's ships as loki_video/labels/kinetics400.txt,
and tools/data/build_video_list.py --label-names writes those of Kinetics-700, SSv2 and
Diving-48 from the datasets' own annotation files. Without names, class indices are printed.
--out-video writes each input video again (H.264 MP4, its frame rate and size, or --out-size) with the
top-k classes, their scores and score bars drawn on every frame, and which frames of the video the
prediction comes from (the span the test pipeline samples): to the file OUT for one input, into the
folder OUT as <name>.mp4 for several; frames are encoded as they are decoded, so memory does not grow
with the video's length. Output paths are checked before the model is loaded.
"""
import argparse
import json
import os.path as osp

from tqdm import tqdm

from loki_video.apis import collect_inputs, init_model, predict, resolve_labels
from loki_video.apis.inference import prediction_records
from loki_video.apis.inputs import for_each_input, input_kind, sampled_span
from loki_video.apis.model_folder import add_model_arguments, take_model_arguments
from loki_video.config import add_cfg_options
from loki_video.datasets.multi_view import parse_views
from loki_video.output_paths import writable_file, writable_folder
from loki_video.tool_main import run_main
from loki_video.visualization.labelled_video import write_labelled_video


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_arguments(parser, 'INPUT', 'video/image files or folders')
    parser.add_argument('--labels', help="label file (default: the config's label_file)")
    parser.add_argument('--topk', type=int, default=5, help='classes to print (default 5)')
    parser.add_argument('--views', type=parse_views, metavar='CLIPSxCROPS',
                        help="test views of videos, e.g. 3x3 (default: the config's)")
    parser.add_argument('--json', metavar='OUT', help='also write the predictions to this JSON file')
    parser.add_argument('--out-video', metavar='OUT',
                        help='write each input video with its predictions drawn: a file for one input, a folder '
                        'for several')
    parser.add_argument('--out-size', type=int, nargs=2, metavar=('W', 'H'),
                        help="frame size of --out-video (default: the input's)")
    parser.add_argument('--device', default='cpu', help='e.g. cpu or cuda:0')
    add_cfg_options(parser)
    args = parser.parse_args(argv)
    if args.out_size and not args.out_video:
        parser.error('--out-size goes with --out-video')
    if not osp.isdir(args.model) and not args.model.endswith('.py'):
        parser.error(f'the first argument is the config (a .py file) or a model folder, got {args.model}: '
                     "tools/demo.py CONFIG CKPT INPUT [INPUT ...], as mmaction2's demo, or FOLDER INPUT [INPUT ...]")
    args.inputs = take_model_arguments(parser, args, 'video or image', count=None)
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
    labels = resolve_labels(args.labels or args.classes, model.cfg)
    videos = [path for path, _ in files if input_kind(path) == 'video']
    writable_file(args.json, '--json')  # before any input is classified
    if args.out_video and videos:
        (writable_file if len(videos) == 1 else writable_folder)(args.out_video, '--out-video')
    results = []

    def classify(path, name):
        predictions = prediction_records(predict(model, path, args.topk, args.views, labels))
        results.append(dict(input=path, predictions=predictions))
        tqdm.write(format_predictions(path, predictions))
        if args.out_video and path in videos:
            out = args.out_video if len(videos) == 1 else osp.join(args.out_video, f'{name}.mp4')
            first, last, frames = sampled_span(model.cfg, path, args.views)
            caption = f'from {frames} frames, {first:.1f}-{last:.1f} s'
            count, rate, (width, height) = write_labelled_video(path, out, predictions, args.out_size, caption)
            tqdm.write(f'  -> {out} ({count} frames, {rate:.3g} fps, {width}x{height}; the prediction {caption})')
    try:
        for_each_input(files, classify, 'inference')
    finally:  # the readable inputs' predictions are written also when some failed
        if args.json:
            with open(args.json, 'w') as f:
                json.dump(results, f, indent=2)


if __name__ == '__main__':
    run_main(main)
