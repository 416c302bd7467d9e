"""The image experiment grid: 8 methods x 2 backbones x 7 datasets = 112 configs.

Every experiment ``configs/image/<method>/<method>_<backbone>_<dataset>.py`` only lists
its ``_base_`` pieces (model, method, dataset, schedule, runtime); this script writes them
and is the one place that names the methods, backbones and datasets::

    python configs/image/grid.py           # (re)write the 112 files
    python configs/image/grid.py --check   # exit 1 if a file is missing or differs
"""
import argparse
import sys
from pathlib import Path

IMAGE_CONFIGS = Path(__file__).resolve().parent

# id -> display name; ids hold no '_' and the base file of an id is id.replace('-', '_').
METHODS = {
    'full-finetune': 'Full fine-tuning',
    'linear-probe': 'Linear probe',
    'bias': 'Bias tuning',
    'prompt': 'Prompt tuning',
    'lora': 'LoRA',
    'adapter': 'Adapter',
    'kan': 'KAN',
    'loki': 'LoKi',
}
BACKBONES = {
    'vit-b16-in21k': 'ViT-B/16 (ImageNet-21K)',
    'clip-vit-b16': 'CLIP ViT-B/16',
}
DATASETS = {
    'cifar10': 'CIFAR-10',
    'cifar100': 'CIFAR-100',
    'food101': 'Food-101',
    'mnist': 'MNIST',
    'dtd': 'DTD',
    'fgvc-aircraft': 'FGVC-Aircraft',
    'ddsm': 'DDSM',
}

TEMPLATE = """\
# {method_name} on {dataset_name} with {backbone_name}. Written by configs/image/grid.py:
# change the _base_ pieces, not this file.
_base_ = [
    '../_base_/models/{backbone}.py',
    '../_base_/methods/{method}.py',
    '../_base_/datasets/{dataset}.py',
    '../_base_/schedules/adamw_cosine.py',
    '../_base_/default_runtime.py',
]
model = dict(backbone=_base_.backbone_tuning, head=dict(num_classes=_base_.num_classes))
train_cfg = dict(max_epochs=_base_.max_epochs)
"""


def experiment_name(method, backbone, dataset):
    """``<method>_<backbone>_<dataset>``, the config file stem and default work dir name."""
    return f'{method}_{backbone}_{dataset}'


def parse_experiment_name(name):
    """(method, backbone, dataset) ids from an experiment name; None if ``name`` is not one.

    The dataset part may be any id (e.g. a dataset run through cfg options), the
    method and backbone must be known.
    """
    parts = name.split('_')
    if len(parts) != 3 or parts[0] not in METHODS or parts[1] not in BACKBONES or not parts[2]:
        return None
    return tuple(parts)


def config_path(method, backbone, dataset):
    return IMAGE_CONFIGS / method / f'{experiment_name(method, backbone, dataset)}.py'


def config_text(method, backbone, dataset):
    return TEMPLATE.format(
        method=method.replace('-', '_'), backbone=backbone.replace('-', '_'),
        dataset=dataset.replace('-', '_'), method_name=METHODS[method],
        backbone_name=BACKBONES[backbone], dataset_name=DATASETS[dataset])


def grid():
    """Every (method, backbone, dataset) of the grid, in table order."""
    return [(m, b, d) for m in METHODS for b in BACKBONES for d in DATASETS]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--check', action='store_true', help='only report missing or stale files')
    args = parser.parse_args()
    stale = []
    for cell in grid():
        path, text = config_path(*cell), config_text(*cell)
        if path.is_file() and path.read_text() == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if args.check and stale:
        print(f'{len(stale)} image config(s) missing or stale, e.g. {stale[0]}; '
              'run: python configs/image/grid.py', file=sys.stderr)
        sys.exit(1)
    print(f'{len(grid())} image configs, {len(stale)} {"stale" if args.check else "written"}')


if __name__ == '__main__':
    main()
