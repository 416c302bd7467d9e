"""Try models in a browser: a Gradio page over one or more model folders, offline.

    python tools/web_demo.py FOLDER [FOLDER ...] [--port 7860] [--host 127.0.0.1] [--topk 5]
        [--max-upload-mb 200] [--window 2] [--concurrency 1] [--device cpu]

Needs Gradio: ``pip install -e .[web]``. Upload a video (or pick an example): each model (a folder of
tools/export_checkpoint.py --folder) shows its top classes, the video with them drawn on it, its
class-token attention and, for a video longer than --window seconds, its classes over time; two folders
show side by side. Files the page receives or writes stay in a temporary folder, removed at exit.
docs/sharing.md.
"""
import argparse
import os
import tempfile

from loki_video.tool_main import run_main
from loki_video.user_error import UserValueError


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('folders', nargs='+', metavar='FOLDER',
                        help='model folders (tools/export_checkpoint.py --folder)')
    parser.add_argument('--host', default='127.0.0.1', help='address to serve on (default 127.0.0.1: this machine)')
    parser.add_argument('--port', type=int, default=7860, help='port (default 7860)')
    parser.add_argument('--topk', type=int, default=5, help='classes shown (default 5)')
    parser.add_argument('--max-upload-mb', type=float, default=200, help='largest upload (default 200 MB)')
    parser.add_argument('--window', type=float, default=2.0,
                        help='seconds of a window; longer videos also get their classes over time (default 2)')
    parser.add_argument('--concurrency', type=int, default=1, help='requests a model serves at once (default 1)')
    parser.add_argument('--device', default='cpu', help='e.g. cpu or cuda:0')
    args = parser.parse_args(argv)
    if args.topk < 1 or args.concurrency < 1 or args.max_upload_mb <= 0 or args.window <= 0:
        raise UserValueError('--topk and --concurrency must be at least 1, --max-upload-mb and --window above 0')
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise UserValueError('the web demo needs Gradio: pip install -e .[web]') from None
    from loki_video.apis import init_recognizer
    models = [init_recognizer(folder, device=args.device) for folder in args.folders]
    with tempfile.TemporaryDirectory(prefix='loki_video_web_') as folder:
        os.environ['GRADIO_TEMP_DIR'] = os.path.join(folder, 'uploads')   # where Gradio keeps what it receives
        from loki_video.web.demo_app import build_app, example_videos
        examples = example_videos(os.path.join(folder, 'examples'))
        app = build_app(args.folders, models, folder, examples, args.topk, int(args.max_upload_mb * 2**20),
                        args.window, args.concurrency)
        print(f'uploads and results are kept in {folder} while the page runs, and removed at exit', flush=True)
        app.queue()
        app.launch(server_name=args.host, server_port=args.port, max_file_size=int(args.max_upload_mb * 2**20),
                   allowed_paths=[folder], show_error=True)


if __name__ == '__main__':
    run_main(main)
