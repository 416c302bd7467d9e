"""Total and tunable parameters of a config's model, by group.

    python tools/analysis/params.py configs/_base_/models/loki_vit_b16_clip.py
    python tools/analysis/params.py CONFIG --cfg-options model.cls_head.num_classes=174 --json
"""
import argparse
import json

from loki_video.config import add_cfg_options, build_model, load_config
from loki_video.models.peft import count_parameters, format_parameter_report
from loki_video.tool_main import run_main


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config')
    add_cfg_options(parser, example='model.backbone.arch=tiny')
    parser.add_argument('--with-weights', action='store_true',
                        help='also load model.backbone.pretrained (not needed for counting)')
    parser.add_argument('--json', action='store_true', help='print one JSON object')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    if not args.with_weights and 'pretrained' in cfg.model.get('backbone', {}):
        cfg.model.backbone.pretrained = None
    counts = count_parameters(build_model(cfg))
    if args.json:
        print(json.dumps(counts))
    else:
        print(format_parameter_report(counts))


if __name__ == '__main__':
    run_main(main)
