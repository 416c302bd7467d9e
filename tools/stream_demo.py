"""Classify a live stream: a camera, a network stream, or a file played at its own frame rate.

    python tools/stream_demo.py FOLDER SOURCE [--window 2] [--stride 1] [--topk 5] [--out-video OUT.mp4]
        [--reconnects 3] [--retry-seconds 1] [--device cpu]
    python tools/stream_demo.py CONFIG CKPT SOURCE [...]

SOURCE: a camera (/dev/video0), a network stream (rtsp://..., http://..., udp://...) or a video file,
read at its frame rate as if it were live. Every --stride seconds the newest --window seconds of frames
go through the model's test pipeline; each prediction is printed with its latency from the newest frame.
When the model is slower than the stream, frames are dropped, not queued (the count is printed). A live
source that breaks off is opened again up to --reconnects times in a row, then the tool says so in one
line and exits 1. --out-video writes the stream with the newest prediction drawn on every frame. Ctrl-C
stops it; the output video is closed whole. docs/sharing.md.
"""
import argparse
import statistics

from loki_video.apis import init_model, resolve_labels
from loki_video.apis.model_folder import add_model_arguments, take_model_arguments
from loki_video.output_paths import writable_file
from loki_video.streaming.live_source import LiveSource
from loki_video.streaming.stream_classifier import LabelledWriter, classify_stream
from loki_video.tool_main import run_main
from loki_video.user_error import UserValueError


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_arguments(parser, 'SOURCE', 'the camera, stream URL or video file')
    parser.add_argument('--window', type=float, default=2.0, help='seconds of frames per prediction (default 2)')
    parser.add_argument('--stride', type=float, default=1.0, help='seconds between predictions (default 1)')
    parser.add_argument('--topk', type=int, default=5, help='classes printed (default 5)')
    parser.add_argument('--out-video', metavar='OUT', help='write the stream with the predictions drawn (MP4)')
    parser.add_argument('--reconnects', type=int, default=3, help='times a broken live source is reopened (default 3)')
    parser.add_argument('--retry-seconds', type=float, default=1.0, help='wait before reopening (default 1)')
    parser.add_argument('--labels', help="class names, one a line (default: the folder's classes.txt)")
    parser.add_argument('--device', default='cpu', help='e.g. cpu or cuda:0')
    args = parser.parse_args(argv)
    args.source, = take_model_arguments(parser, args, 'source')
    if args.window <= 0 or args.stride <= 0 or args.topk < 1 or args.reconnects < 0:
        raise UserValueError('--window and --stride must be above 0, --topk at least 1, --reconnects at least 0')
    return args


def describe(prediction: dict) -> str:
    names = ', '.join(f"{p['name'] if p['name'] is not None else p['index']} {p['score']:.3f}"
                      for p in prediction['predictions'])
    return (f"{prediction['start']:7.2f}-{prediction['end']:7.2f} s  latency {prediction['latency'] * 1e3:6.0f} ms  "
            f"dropped {prediction['dropped']:4d}  {names}")


def main(argv=None):
    args = parse_args(argv)
    writable_file(args.out_video, '--out-video')
    model = init_model(args.config, args.checkpoint, args.device)
    labels = resolve_labels(args.labels or args.classes, model.cfg)
    writer = None
    source = LiveSource(args.source, args.window, args.reconnects, args.retry_seconds)
    if args.out_video:
        writer = source.on_frame = LabelledWriter(args.out_video, source)
    source.start()
    results = classify_stream(model, source, args.window, args.stride, args.topk, labels,
                              report=lambda prediction: print(describe(prediction), flush=True), writer=writer)
    latencies = results['latencies']
    print(f"{results['predictions']} predictions over {results['received']} frames"
          f"{f' at {source.fps:.2f} fps' if source.fps else ''}, {results['dropped']} frames dropped, "
          + (f'latency median {statistics.median(latencies) * 1e3:.0f} ms, max {max(latencies) * 1e3:.0f} ms'
             if latencies else 'no prediction')
          + (f'; the source was reopened {source.reconnected} times' if source.reconnected else '')
          + (f'; {writer.written} frames written to {args.out_video}' if writer is not None else '')
          + ('; stopped by Ctrl-C' if results['interrupted'] else ''), flush=True)
    if results['error']:
        raise SystemExit(f'stream_demo.py: {results["error"]}')


if __name__ == '__main__':
    run_main(main)
