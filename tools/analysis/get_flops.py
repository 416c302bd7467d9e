"""FLOPs per view and per test video, and total and tunable parameters, of a config's model.

    python tools/analysis/get_flops.py configs/aim_k400_8x1x1.py --views 3x1
    python tools/analysis/get_flops.py CONFIG [--views CLIPSxCROPS] [--shape T H W | H W]
        [--cfg-options KEY=VALUE ...] [--json]

A view is one clip (video) or one image at the test pipeline's size; a test video has
clips x crops views (the test pipeline's, or --views). One FLOP is one multiply-add, as in
the AIM and LoKi papers; attention matmuls and KAN splines are counted (see
loki_video/analysis/flops.py). Weights are not loaded: they do not change the count.
"""
import argparse
import json

from loki_video.analysis.flops import count_flops
from loki_video.config import add_cfg_options, build_model, load_config
from loki_video.datasets.multi_view import parse_views
from loki_video.models.peft import count_parameters
from loki_video.tool_main import run_main


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    parser.add_argument('--views', type=parse_views, metavar='CLIPSxCROPS',
                        help="clips x crops per test video (default: the test pipeline's)")
    parser.add_argument('--shape', type=int, nargs='+', metavar='N',
                        help="input of one view: T H W (video) or H W (image); default: the test pipeline's")
    add_cfg_options(parser, example='model.backbone.num_frames=16')
    parser.add_argument('--json', action='store_true', help='print one JSON object')
    return parser.parse_args()


def format_report(config, report):
    clips, crops = report['clips'], report['crops']
    lines = [f'config            {config}',
             f'input of a view   {tuple(report["input_shape"])}',
             f'GFLOPs per view   {report["flops_per_view"] / 1e9:.5g}',
             f'GFLOPs per test sample ({clips} clips x {crops} crops)   {report["flops_per_sample"] / 1e9:.5g}',
             f'parameters        {report["params"]["total"]:,} total, {report["params"]["tunable"]:,} tunable']
    if report['uncounted_ops']:
        lines.append(f'not counted       {report["uncounted_ops"]}')
    return '\n'.join(lines)


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    if 'type' not in cfg.get('model', {}):
        raise SystemExit(f'{args.config}: no model type; this is a piece of other configs, '
                         'pass a config that defines a whole model')
    if cfg.model.get('backbone', {}).get('pretrained') is not None:
        cfg.model.backbone.pretrained = None
    try:
        model = build_model(cfg)
        report = count_flops(model, cfg, shape=args.shape, views=args.views)
    except ValueError as error:
        raise SystemExit(f'{args.config}: {error}')
    counts = count_parameters(model)
    report['params'] = dict(total=counts['total'], tunable=counts['tunable'])
    report['config'] = args.config
    print(json.dumps(report) if args.json else format_report(args.config, report))


if __name__ == '__main__':
    run_main(main)
