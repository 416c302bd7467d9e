"""Build an mmpretrain dataset after checking that its files exist.

mmpretrain's array datasets try to download when files are missing (which
fails offline with a network error) and the folder datasets fail deep inside
their readers. ``CheckedDataset`` checks the expected layout first and fails
with one message that names every missing path and where the layouts are
described. Config usage (all other keys go to the mmpretrain dataset)::

    dataset=dict(type='CheckedDataset', dataset_type='CIFAR100',
                 data_root='data/cifar100', split='train', pipeline=[...])
"""
from typing import Any

from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS

from loki_video.user_error import UserFileError

from .data_paths import missing_paths

DATA_DOCS = 'data/README.md (section "Image datasets") and docs/image_configs.md'


@DATASETS.register_module(name='CheckedDataset')
def build_checked_dataset(dataset_type: str, data_root: str = '', **kwargs: Any) -> BaseDataset:
    """Check the files of ``dataset_type`` under ``data_root``, then build it.

    Returns:
        the mmpretrain dataset ``dataset_type(data_root=data_root, **kwargs)``.

    Raises:
        FileNotFoundError: naming the missing paths and the data documentation.
    """
    missing = missing_paths(dataset_type, data_root, kwargs.get('split'),
                            kwargs.get('data_prefix', ''), kwargs.get('ann_file', ''))
    if missing:
        raise UserFileError(
            f'{dataset_type} data not found under data_root={data_root!r}; missing: '
            f'{", ".join(missing)}. Prepare it as described in {DATA_DOCS}, or point the config '
            'at your copy, e.g. --cfg-options train_dataloader.dataset.data_root=PATH '
            'val_dataloader.dataset.data_root=PATH test_dataloader.dataset.data_root=PATH')
    return DATASETS.build(dict(type=dataset_type, data_root=data_root, **kwargs))
