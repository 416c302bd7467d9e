"""Class-token attention of a video or image model, drawn over the frames it saw.

    python tools/visualize_attention.py CONFIG CKPT INPUT [INPUT ...] --out DIR
        [--layer N] [--mode last|rollout] [--size H W] [--device cpu] [--cfg-options KEY=VALUE ...]

INPUT: video or image files, or folders of them. Videos go through the config's
test pipeline with 1 clip and 1 crop (its frame sampling, resize and crop); an
image given to a video config is a still clip. For each input, in DIR:

* ``<name>_attention.png``: frames in columns; the frames, then the attention over them, under
  the predicted class and a colour bar with the clip's range of attention (as multiples of
  uniform attention, one over the number of patches; a flat map says so).
* ``<name>_attention.npy``: the maps, float32 (T, h, w): T frames (1 for an image config),
  h x w the patch grid; each map sums to 1 over the patches.

``--mode last``: head-averaged spatial attention of block N (default: the last block).
``--mode rollout``: attention rollout through blocks 0..N. Only spatial attention
(among the tokens of one frame) counts; prompt tokens are left out. ``--size H W``
resizes the frames after the test crop, e.g. to twice the training resolution
(the patch grid grows with it). See docs/visualization.md.
"""
import argparse
import os
import os.path as osp

import numpy as np
from tqdm import tqdm

from loki_video.apis import (
    collect_inputs,
    init_model,
    resolve_labels,
    top_predictions,
)
from loki_video.apis.input_attention import input_attention
from loki_video.apis.inputs import for_each_input
from loki_video.config import add_cfg_options
from loki_video.output_paths import writable_folder
from loki_video.tool_main import run_main
from loki_video.visualization import attention_grid, save_rgb
from loki_video.visualization.attention import MODES


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='video or image config')
    parser.add_argument('checkpoint', help='checkpoint (full or tunable-only)')
    parser.add_argument('inputs', nargs='+', metavar='INPUT', help='video/image files or folders')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--layer', type=int, default=-1, help='block index (negative from the end; default -1)')
    parser.add_argument('--mode', choices=MODES, default='last', help='one block or rollout (default last)')
    parser.add_argument('--size', type=int, nargs=2, metavar=('H', 'W'), help='frame size fed to the model')
    parser.add_argument('--labels', help="label file naming the predicted class (default: the config's label_file)")
    parser.add_argument('--device', default='cpu', help='e.g. cpu or cuda:0')
    add_cfg_options(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    writable_folder(args.out, '--out')
    files = collect_inputs(args.inputs)
    model = init_model(args.config, args.checkpoint, args.device, args.cfg_options)
    labels = resolve_labels(args.labels, model.cfg)
    os.makedirs(args.out, exist_ok=True)

    def draw(path, name):
        frames, maps, scores = input_attention(model, path, args.mode, args.layer, args.size)
        stem = osp.join(args.out, f'{name}_attention')
        best = top_predictions(scores, 1, labels)[0]
        best = f"{best['name']} ({best['score']:.3f})" if labels else f'class {best[0]} ({best[1]:.3f})'
        title = f'{name}: top-1 {best}; {args.mode} attention, block {args.layer}'
        save_rgb(stem + '.png', attention_grid(frames, maps, title=title))
        np.save(stem + '.npy', maps)
        tqdm.write(f'{path}: top-1 {best}; maps {maps.shape} -> {stem}.png, {stem}.npy')
    for_each_input(files, draw, 'attention maps')


if __name__ == '__main__':
    run_main(main)
