"""Build an mmpretrain dataset after checking that its files exist.

mmpretrain's array datasets try to download when files are missing (which
fails offline with a network error) and the folder datasets fail deep inside
their readers. ``CheckedDataset`` checks the expected layout first and fails
with one message that names every missing path and where the layouts are
described. Config usage (all other keys go to the mmpretrain dataset)::

    dataset=dict(type='CheckedDataset', dataset_type='CIFAR100',
                 data_root='data/cifar100', split='train', pipeline=[...])
"""
import os.path as osp

from mmpretrain.registry import DATASETS

# Paths each mmpretrain dataset reads, relative to ``data_root`` (``{split}`` is filled in).
EXPECTED_FILES = {
    'CIFAR10': ('cifar-10-batches-py/data_batch_1', 'cifar-10-batches-py/test_batch',
                'cifar-10-batches-py/batches.meta'),
    'CIFAR100': ('cifar-100-python/train', 'cifar-100-python/test', 'cifar-100-python/meta'),
    'MNIST': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
              't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
    'Food101': ('images', 'meta/{split}.txt'),
    'DTD': ('images', 'imdb/imdb.mat'),
    'FGVCAircraft': ('data/images', 'data/images_variant_{split}.txt'),
}
EXPECTED_FILES['FashionMNIST'] = EXPECTED_FILES['MNIST']
DATA_DOCS = 'data/README.md (section "Image datasets") and docs/image_configs.md'


def missing_paths(dataset_type, data_root, split=None, data_prefix='', ann_file=''):
    """Expected paths of a dataset that do not exist (empty when all are there)."""
    if isinstance(data_prefix, dict):
        data_prefix = data_prefix.get('img_path', data_prefix.get('root', ''))
    relative = [p.format(split=split) for p in EXPECTED_FILES.get(dataset_type, ())]
    relative += [p for p in (data_prefix, ann_file) if p]
    paths = [osp.join(data_root, p) for p in relative] or [data_root]
    return [p for p in paths if not osp.exists(p)]


@DATASETS.register_module(name='CheckedDataset')
def build_checked_dataset(dataset_type, data_root='', **kwargs):
    """Check the files of ``dataset_type`` under ``data_root``, then build it.

    Returns:
        the mmpretrain dataset ``dataset_type(data_root=data_root, **kwargs)``.

    Raises:
        FileNotFoundError: naming the missing paths and the data documentation.
    """
    missing = missing_paths(dataset_type, data_root, kwargs.get('split'),
                            kwargs.get('data_prefix', ''), kwargs.get('ann_file', ''))
    if missing:
        raise FileNotFoundError(
            f'{dataset_type} data not found under data_root={data_root!r}; missing: '
            f'{", ".join(missing)}. Prepare it as described in {DATA_DOCS}, or point the config '
            'at your copy, e.g. --cfg-options train_dataloader.dataset.data_root=PATH '
            'val_dataloader.dataset.data_root=PATH test_dataloader.dataset.data_root=PATH')
    return DATASETS.build(dict(type=dataset_type, data_root=data_root, **kwargs))
