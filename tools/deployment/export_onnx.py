"""Export a video recognizer to ONNX, and check it in onnxruntime on a real clip.

    python tools/deployment/export_onnx.py CONFIG CKPT OUT.onnx [--views CLIPSxCROPS] [--verify VIDEO]
        [--cfg-options KEY=VALUE ...]
    python tools/deployment/export_onnx.py FOLDER OUT.onnx [...]      # a model folder (docs/sharing.md)

The graph takes ``inputs (N, V, 3, T, H, W)``: float pixels of N videos, V = clips x crops views as
the test pipeline (or --views) makes them, N dynamic; it gives ``scores (N, classes)``, the class
probabilities averaged over the views (normalisation, backbone, head and view averaging included).
--verify runs VIDEO through the test pipeline, then the graph in onnxruntime (CPU) and the PyTorch
model's test step, and prints the largest difference and both latencies. See docs/deployment.md.
"""
import argparse

from loki_video.apis.model_folder import add_model_arguments, take_model_arguments
from loki_video.apis.onnx_export import export_onnx, verify_onnx
from loki_video.config import add_cfg_options
from loki_video.datasets.multi_view import parse_views
from loki_video.output_paths import writable_file
from loki_video.tool_main import run_main


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_arguments(parser, 'OUT', 'the ONNX file to write')
    parser.add_argument('--views', type=parse_views, metavar='CLIPSxCROPS',
                        help="views per video, e.g. 3x1 (default: the config's test pipeline)")
    parser.add_argument('--verify', metavar='VIDEO', help='compare onnxruntime with PyTorch on this video')
    add_cfg_options(parser)
    args = parser.parse_args()
    args.out, = take_model_arguments(parser, args, 'ONNX file to write')
    return args


def main():
    args = parse_args()
    writable_file(args.out, 'the ONNX file')
    model, shape = export_onnx(args.config, args.checkpoint, args.out, args.views, args.cfg_options)
    print(f'{args.out}: inputs (N, {", ".join(map(str, shape))}) -> scores (N, {model.cls_head.num_classes})')
    if args.verify:
        check = verify_onnx(args.out, model, args.verify, args.views)
        print(f"{args.verify}: max |onnxruntime - PyTorch| = {check['max_abs_diff']:.2e}; per video on CPU "
              f"(median of 5, {check['threads']} threads each): onnxruntime {check['onnxruntime_ms']:.1f} ms, "
              f"PyTorch {check['pytorch_ms']:.1f} ms")


if __name__ == '__main__':
    run_main(main)
