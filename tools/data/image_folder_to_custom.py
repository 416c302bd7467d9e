"""Turn a class-per-folder image tree (e.g. DDSM) into the layout of the image configs.

    python tools/data/image_folder_to_custom.py SRC data/ddsm [--ratios 0.7 0.1 0.2] [--seed 0]

SRC is either ``SRC/<class>/<image>`` (split here, per class, by ``--ratios`` of
train/val/test) or already split, ``SRC/{train,val,test}/<class>/<image>`` (kept as it
is; without ``val``, ``--val-ratio`` of each training class becomes the validation set).
Images may sit in sub-folders of a class folder. The output is what mmpretrain's
``CustomDataset`` reads with ``data_prefix='train'`` (``'val'``, ``'test'``)::

    OUT/{train,val,test}/<class>/<image>   every split holds every class folder, so
    OUT/classes.txt                        the sorted folder names give the same labels

Files are symlinked (``--mode copy`` to copy); nested names are flattened with ``__``.
"""
import argparse
import os
import random
import shutil
import sys
from collections import defaultdict
from pathlib import Path

from loki_video.tool_main import run_main
from loki_video.user_error import UserFileError

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')
SPLITS = ('train', 'val', 'test')


def list_images(folder):
    """[(image path, flat name)] under ``folder`` (recursively), sorted; ``a/b.png`` -> ``a__b.png``."""
    return sorted((p, '__'.join(p.relative_to(folder).parts)) for p in folder.rglob('*')
                  if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def class_images(root):
    """{class name: [(image path, flat name)]} of a class-per-folder tree, classes with images only."""
    classes = {d.name: list_images(d) for d in sorted(root.iterdir()) if d.is_dir()}
    return {name: images for name, images in classes.items() if images}


def split_counts(total, ratios):
    """Split ``total`` by ``ratios`` (train, val, test), giving rounding leftovers to train."""
    counts = [int(total * r) for r in ratios]
    counts[0] += total - sum(counts)
    return counts


def random_split(images_by_class, ratios, seed):
    """{split: {class: [images]}}: each class shuffled and cut by ``ratios``."""
    rng = random.Random(seed)
    splits = {s: {} for s in SPLITS}
    for name, images in images_by_class.items():
        images = list(images)
        rng.shuffle(images)
        start = 0
        for split, count in zip(SPLITS, split_counts(len(images), ratios)):
            splits[split][name] = images[start:start + count]
            start += count
    return splits


def read_source(src, ratios, val_ratio, seed):
    """{split: {class: [images]}} of ``src``, pre-split or not."""
    present = [s for s in SPLITS if (src / s).is_dir()]
    if not present:
        images = class_images(src)
        if not images:
            raise UserFileError(f'no class folders with images ({", ".join(IMAGE_EXTENSIONS)}) in {src}')
        return random_split(images, ratios, seed)
    if 'train' not in present or 'test' not in present:
        raise UserFileError(f'{src} has {present} but a pre-split tree needs train/ and test/ '
                            '(val/ is optional); or pass a tree of class folders to split here')
    splits = {s: class_images(src / s) for s in present}
    if 'val' not in splits:
        carved = random_split(splits['train'], (1 - val_ratio, val_ratio, 0.0), seed)
        splits['train'], splits['val'] = carved['train'], carved['val']
    return splits


def write_layout(splits, out, mode):
    """Link or copy every image to ``out/<split>/<class>/``; returns the sorted class names."""
    classes = sorted({name for per_class in splits.values() for name in per_class})
    for split in SPLITS:
        for name in classes:
            folder = out / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for image, flat_name in splits[split].get(name, []):
                target = folder / flat_name
                if target.exists() or target.is_symlink():
                    target.unlink()
                if mode == 'copy':
                    shutil.copy2(image, target)
                else:
                    os.symlink(image.resolve(), target)
    (out / 'classes.txt').write_text('\n'.join(classes) + '\n')
    return classes


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='class-per-folder image tree, or one with train/val/test folders')
    parser.add_argument('out', help='output root, e.g. data/ddsm')
    parser.add_argument('--ratios', nargs=3, type=float, default=(0.7, 0.1, 0.2), metavar=('TRAIN', 'VAL', 'TEST'),
                        help='per-class split of an unsplit tree (default 0.7 0.1 0.2)')
    parser.add_argument('--val-ratio', type=float, default=0.1,
                        help='share of each training class used for validation when SRC has no val/')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--mode', choices=('symlink', 'copy'), default='symlink')
    return parser.parse_args()


def main():
    args = parse_args()
    src, out = Path(args.src), Path(args.out)
    if not src.is_dir():
        sys.exit(f'image_folder_to_custom: source folder {src} does not exist '
                 '(see docs/image_configs.md for the DDSM layout)')
    if abs(sum(args.ratios) - 1) > 1e-6 or min(args.ratios) < 0:
        sys.exit(f'image_folder_to_custom: --ratios {args.ratios} must be >= 0 and sum to 1')
    try:
        splits = read_source(src, args.ratios, args.val_ratio, args.seed)
    except FileNotFoundError as error:
        sys.exit(f'image_folder_to_custom: {error}')
    classes = write_layout(splits, out, args.mode)
    print(f'{len(classes)} classes -> {out} (set model.head.num_classes={len(classes)})')
    for split in SPLITS:
        counts = [len(splits[split].get(name, [])) for name in classes]
        print(f'  {split:<5} {sum(counts):>7} images  ' + ', '.join(f'{n}: {c}' for n, c in zip(classes, counts)))


if __name__ == '__main__':
    run_main(main)
