"""The classes of a long video over time: predictions over sliding windows.

    python tools/long_video_demo.py CONFIG CKPT VIDEO --out DIR [--window SECONDS] [--stride SECONDS]
        [--views CLIPSxCROPS] [--batch N] [--topk 5] [--labels FILE] [--device cpu] [--no-video]
        [--cfg-options KEY=VALUE ...]
    python tools/long_video_demo.py FOLDER VIDEO --out DIR [...]     # a model folder (docs/sharing.md)

Each window of --window seconds, every --stride seconds, is classified with the config's test pipeline
(its frame sampling and views inside the window); only the sampled frames are decoded, so memory does
not grow with the video's length. Writes DIR/predictions.json (start, end and top-k per window),
DIR/timeline.png (the best class over time and the scores of the classes that lead somewhere) and
DIR/labelled.mp4 (the video with the nearest window's top-k drawn on every frame, encoded frame by frame
through PyAV; --no-video skips it). See docs/visualization.md.
"""
import argparse
import json
import os.path as osp

from loki_video.apis import init_model, resolve_labels
from loki_video.apis.long_video import predictions_at, window_predictions
from loki_video.apis.model_folder import add_model_arguments, take_model_arguments
from loki_video.config import add_cfg_options
from loki_video.datasets.multi_view import parse_views
from loki_video.output_paths import writable_folder
from loki_video.tool_main import run_main
from loki_video.user_error import UserFileError
from loki_video.visualization.labelled_video import write_labelled_video
from loki_video.visualization.timeline import plot_timeline


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_arguments(parser, 'VIDEO', 'the video file')
    parser.add_argument('--out', required=True, help='folder of predictions.json, timeline.png, labelled.mp4')
    parser.add_argument('--window', type=float, default=2.0, help='window length in seconds (default 2)')
    parser.add_argument('--stride', type=float, default=1.0, help='seconds from one window to the next (default 1)')
    parser.add_argument('--views', type=parse_views, metavar='CLIPSxCROPS',
                        help="views per window, e.g. 3x1 (default: the config's test pipeline)")
    parser.add_argument('--batch', type=int, default=8, help='windows per model call (default 8)')
    parser.add_argument('--topk', type=int, default=5, help='classes kept per window (default 5)')
    parser.add_argument('--labels', help="label file (default: the config's label_file)")
    parser.add_argument('--device', default='cpu', help='e.g. cpu or cuda:0')
    parser.add_argument('--no-video', action='store_true', help='do not write labelled.mp4')
    add_cfg_options(parser)
    args = parser.parse_args(argv)
    if args.batch < 1:
        parser.error('--batch must be at least 1')
    args.video, = take_model_arguments(parser, args, 'video')
    return args


def main(argv=None):
    args = parse_args(argv)
    if not osp.isfile(args.video):
        raise UserFileError(f'video {args.video} does not exist' if not osp.isdir(args.video) else
                            f'{args.video} is a folder, not a video file')
    writable_folder(args.out, '--out')
    model = init_model(args.config, args.checkpoint, args.device, args.cfg_options)
    labels = resolve_labels(args.labels or args.classes, model.cfg)
    windows = window_predictions(model, args.video, args.window, args.stride, args.views, args.batch, args.topk,
                                 labels)
    with open(osp.join(args.out, 'predictions.json'), 'w') as out:
        json.dump(dict(video=args.video, window=args.window, stride=args.stride, windows=windows), out, indent=1)
    plot_timeline(windows, osp.join(args.out, 'timeline.png'), title=osp.basename(args.video))
    length = windows[0]['end'] - windows[0]['start']   # as placed on the video's frames, which may differ from
    every = windows[1]['start'] - windows[0]['start'] if len(windows) > 1 else 0.0   # the options' seconds
    print(f'{len(windows)} windows of {length:.2f} s every {every:.2f} s (asked: {args.window:g} s every '
          f'{args.stride:g} s) -> {osp.join(args.out, "predictions.json")}, {osp.join(args.out, "timeline.png")}')
    if not args.no_video:
        out = osp.join(args.out, 'labelled.mp4')
        count, rate, (width, height) = write_labelled_video(args.video, out, predictions_at(windows))
        print(f'{out}: {count} frames, {rate:.3g} fps, {width}x{height}')


if __name__ == '__main__':
    run_main(main)
