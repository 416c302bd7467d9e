"""Step time and peak memory of several configs' models, measured side by side in one run.

    python tools/analysis/benchmark.py configs/aim_k400_8x1x1.py configs/loki_k400_8x1x1.py
    python tools/analysis/benchmark.py CONFIG [CONFIG ...] [--mode train|test] [--batch N] [--amp]
        [--compile] [--with-cp [off|on|both]] [--repeat N] [--warmup N] [--device DEV]
        [--threads N] [--cfg-options KEY=VALUE ...] [--json OUT]
    python tools/analysis/benchmark.py --kan 96 12 96 [--tokens 1576] [--kan-impl IMPL ...] [--amp] [--compile]
        [--json OUT]

Each model is built from its config with random weights (they do not change the cost) and
steps on a random batch of the test pipeline's input shape. A train step is forward, backward
and optimizer step, as in training. Steps are timed interleaved across the configs after
--warmup steps each; the table gives the median step time, clips per second, the peak memory
of a step (CUDA: max_memory_allocated; CPU: growth of the peak resident set over the step) and
the ratios to the first config. --kan compares KAN layer stacks forward and backward on --tokens
rows (1576: 8 frames x 197 tokens): the Triton kernels (on CUDA, or in Triton's interpreter with
TRITON_INTERPRET=1), the closed form, the Cox-de Boor recursion and an MLP with twice the hidden
widths, and reports how far each output is from Cox-de Boor's (--amp: under bf16 autocast, on any
device). See docs/performance.md.
"""
import argparse
import json
import os
import os.path as osp

import torch

from loki_video.analysis.benchmark import (
    KAN_IMPLEMENTATIONS,
    KAN_LABELS,
    Options,
    Subject,
    format_table,
    mlp_widths,
    run,
)
from loki_video.config import add_cfg_options
from loki_video.output_paths import writable_file
from loki_video.tool_main import run_main


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('configs', nargs='*', metavar='CONFIG')
    parser.add_argument('--kan', type=int, nargs='+', metavar='WIDTH',
                        help='benchmark the KAN with these widths, fused against Cox-de Boor, instead of configs')
    parser.add_argument('--tokens', type=int, default=1576, help='rows of the KAN input (default 1576)')
    parser.add_argument('--kan-impl', nargs='+', choices=KAN_IMPLEMENTATIONS, metavar='IMPL',
                        help=f'KAN implementations to compare, of {", ".join(KAN_IMPLEMENTATIONS)} (default: '
                        'all; triton only on CUDA or with TRITON_INTERPRET=1)')
    parser.add_argument('--mode', choices=('train', 'test'), default='train')
    parser.add_argument('--batch', type=int, default=1, help='clips (or images) per step')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision (bf16 where supported); configs need CUDA, --kan runs anywhere')
    parser.add_argument('--compile', action='store_true', help='torch.compile the step (warm-up compiles it)')
    parser.add_argument('--with-cp', nargs='?', const='on', default='off', choices=('off', 'on', 'both'),
                        help='activation checkpointing in every block; both: each config with and without')
    parser.add_argument('--repeat', type=int, default=5, help='timed steps per config (default 5)')
    parser.add_argument('--warmup', type=int, default=2, help='untimed steps per config first (default 2)')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=0, help="CPU threads per process (default: torch's)")
    add_cfg_options(parser, example='model.backbone.num_frames=16 (every config)')
    parser.add_argument('--json', metavar='OUT', help='also write the results to this JSON file')
    args = parser.parse_args()
    if bool(args.configs) == bool(args.kan):
        parser.error('give configs or --kan WIDTHS, not both')
    if args.amp and args.configs and not args.device.startswith('cuda'):
        parser.error("--amp needs a CUDA device for configs (mmengine's AmpOptimWrapper)")
    if args.kan_impl and not args.kan:
        parser.error('--kan-impl goes with --kan')
    if args.repeat < 1 or args.warmup < 0 or args.batch < 1:
        parser.error('--repeat and --batch must be at least 1, --warmup at least 0')
    missing = [c for c in args.configs if not osp.isfile(c)]
    if missing:
        parser.error(f'config file(s) not found: {", ".join(missing)}')
    return args


def default_kan_implementations(device):
    """Every implementation; Triton only where its kernels run (CUDA, or the interpreter on CPU)."""
    triton = device.startswith('cuda') or os.environ.get('TRITON_INTERPRET') == '1'
    return [impl for impl in KAN_IMPLEMENTATIONS if triton or impl != 'triton']


def kan_subjects(widths, tokens, implementations):
    """One subject per implementation of a KAN of ``widths`` on ``tokens`` rows, named for the table."""

    def name(impl):
        if impl == 'mlp':
            return f'MLP {"-".join(map(str, mlp_widths(widths)))} (GELU)'
        return f'KAN {"-".join(map(str, widths))} {KAN_LABELS[impl]}'
    return [Subject(name(impl), kan=widths, tokens=tokens, implementation=impl) for impl in implementations]


def subjects(args):
    if args.kan:
        return kan_subjects(tuple(args.kan), args.tokens, args.kan_impl or default_kan_implementations(args.device))
    checkpointing = dict(off=(False, ), on=(True, ), both=(False, True))[args.with_cp]
    return [Subject(osp.splitext(osp.basename(config))[0] + (' +cp' if with_cp else ''), config=config,
                    with_cp=with_cp)
            for config in args.configs for with_cp in checkpointing]


def main():
    args = parse_args()
    writable_file(args.json, '--json')
    options = Options(mode=args.mode, batch=args.batch, amp=args.amp, compile=args.compile, device=args.device,
                      threads=args.threads, cfg_options=args.cfg_options)
    results = run(subjects(args), options, repeat=args.repeat, warmup=args.warmup)
    threads = args.threads or torch.get_num_threads()
    print(f'\n{args.mode} step, batch {args.batch}, {args.device}, threads {threads}'
          f'{", amp" if args.amp else ""}{", compiled" if args.compile else ""}, median of {args.repeat}')
    print(format_table(results))
    if args.json:
        with open(args.json, 'w') as out:
            json.dump(dict(options=vars(args), results=results), out, indent=1)


if __name__ == '__main__':
    run_main(main)
