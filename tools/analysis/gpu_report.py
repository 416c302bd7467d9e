"""The prepared GPU report: the KAN kernels checked and timed, and AIM, LoKi and the linear probe side by side.

    python tools/analysis/gpu_report.py                          # on a GPU; about 5 minutes
    python tools/analysis/gpu_report.py --device cpu --quick      # the same code on tiny shapes, Triton interpreted
    python tools/analysis/gpu_report.py --sections kan --out DIR  # some sections only

Writes DIR/gpu_report.json and DIR/gpu_report.md (default DIR: work_dirs/gpu_report) after each section:
(a) accuracy: the Triton kernels on the device against float64 Cox-de Boor, outputs and every gradient;
(b) kan: KAN 96-12-96 and 768-11-768 on 12,608 tokens, forward + backward, float32 and bf16 autocast:
    Triton, closed form, Cox-de Boor and an MLP with twice the hidden width (96-24-96, GELU);
(c) models: configs/{aim,loki,linear}_k400_8x1x1.py training steps, bf16 AMP, batch 8, eager and compiled;
then the targets of docs/performance.md, met or not. Models are built with random weights (no files needed).
--quick: KAN 16-4-16 and 24-3-24 on 64 tokens, the configs shrunk to the tiny ViT on 2x32x32 clips, batch 1,
eager only (float32 steps off CUDA: mmengine's AmpOptimWrapper needs a GPU).
"""
import argparse
import os
import sys

from loki_video.output_paths import writable_folder
from loki_video.tool_main import run_main

SECTIONS = ('accuracy', 'kan', 'models')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--device', default=None, help='cuda (default where available) or cpu')
    parser.add_argument('--quick', action='store_true', help='tiny shapes, a few seconds a section')
    parser.add_argument('--sections', nargs='+', choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument('--out', default='work_dirs/gpu_report', help='folder of gpu_report.json and .md')
    return parser.parse_args()


def main():
    args = parse_args()
    writable_folder(args.out, '--out')
    if args.device is not None and args.device.startswith('cpu'):
        # before Triton is first imported: the kernels then run on CPU tensors in Triton's interpreter
        os.environ['TRITON_INTERPRET'] = '1'
    import torch

    from loki_video.analysis.gpu_report import FULL, QUICK, build_report
    device = args.device or ('cuda' if torch.cuda.is_available() else None)
    if device is None:
        sys.exit('gpu_report: no CUDA device here; run it on a GPU, or check the script with --device cpu --quick')
    if device.startswith('cuda') and not torch.cuda.is_available():
        sys.exit(f'gpu_report: --device {device}, but torch sees no CUDA device (torch {torch.__version__})')
    report = build_report(device, QUICK if args.quick else FULL, args.sections, args.out)
    failed = [c['target'] for c in report['targets'] if not c['ok']]
    print(f'\nwrote {args.out}/gpu_report.json and gpu_report.md; sections took {report["seconds"]} s')
    if 'accuracy' in report and not report['accuracy']['passed']:
        print('accuracy: some Triton results are outside their bounds (see the report)')
    if failed and not args.quick:
        print('targets not met: ' + '; '.join(failed))
    return 0 if report.get('accuracy', {}).get('passed', True) else 1


if __name__ == '__main__':
    sys.exit(run_main(main))
