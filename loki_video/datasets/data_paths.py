"""Every check that a dataset's files exist, before anything slow (model, weights) is built.

The Runner builds the model, loading its pretrained weights, long before it
builds the datasets; a wrong path would only show after that. The tools call
:func:`check_data_paths` first, so a missing annotation file or data folder
fails within seconds with the config key and the path. :func:`missing_paths` knows the files
inside the folders of mmpretrain's datasets (``CheckedDataset`` checks them when it builds one).
"""
import inspect
import os.path as osp
from typing import List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.registry import DATASETS

from loki_video.user_error import UserFileError, UserValueError

DATA_README = 'data/README.md'
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


def _downloads(dataset_cfg):
    """Whether the dataset may download its files itself (mmpretrain's CIFAR, MNIST, ...)."""
    if 'download' in dataset_cfg:
        return bool(dataset_cfg['download'])
    dataset_class = dataset_cfg.get('type')
    if isinstance(dataset_class, str):
        with DATASETS.switch_scope_and_registry(None) as registry:  # the config's default_scope
            dataset_class = registry.get(dataset_class)
    if not inspect.isclass(dataset_class):
        return False
    parameter = inspect.signature(dataset_class).parameters.get('download')
    return parameter is not None and bool(parameter.default)


def leaf_datasets(dataset_cfg: dict, key: str) -> List[Tuple[str, dict]]:
    """``(config key, dataset config)`` of every dataset inside wrappers (``dataset=``, ``datasets=``)."""
    if 'datasets' in dataset_cfg:
        return [leaf for i, d in enumerate(dataset_cfg['datasets']) for leaf in leaf_datasets(d, f'{key}.datasets.{i}')]
    if 'dataset' in dataset_cfg:
        return leaf_datasets(dataset_cfg['dataset'], f'{key}.dataset')
    return [(key, dataset_cfg)]


def loader_datasets(cfg: Config, dataloaders: Sequence[str]) -> List[Tuple[str, dict]]:
    """:func:`leaf_datasets` of the named dataloaders; absent or None loaders are skipped."""
    return [leaf for name in dataloaders if (cfg.get(name) or {}).get('dataset')
            for leaf in leaf_datasets(cfg[name]['dataset'], f'{name}.dataset')]


def dataset_paths(dataset_cfg: dict, key: str) -> List[Tuple[str, str, str]]:
    """``(config key, path, 'file' | 'folder')`` of every local path a dataset config reads.

    Follows dataset wrappers (``dataset=``, ``datasets=``); joins relative
    ``ann_file`` and ``data_prefix`` paths to ``data_root`` as mmengine does.
    """
    paths = []
    for key, dataset_cfg in leaf_datasets(dataset_cfg, key):
        if _downloads(dataset_cfg):
            continue
        data_root = dataset_cfg.get('data_root') or ''
        if data_root:
            paths.append((f'{key}.data_root', data_root, 'folder'))
        if dataset_cfg.get('ann_file'):
            paths.append((f'{key}.ann_file', osp.join(data_root, dataset_cfg['ann_file']), 'file'))
        prefix = dataset_cfg.get('data_prefix') or {}
        prefixes = prefix.items() if isinstance(prefix, dict) else [(None, prefix)]
        for name, value in prefixes:
            if value:
                paths.append((f'{key}.data_prefix' + (f'.{name}' if name else ''), osp.join(data_root, value),
                              'folder'))
    return [(k, p, kind) for k, p, kind in paths if '://' not in p]


def check_paths_exist(paths: Sequence[Tuple[str, str, str]]) -> None:
    """Raise FileNotFoundError listing each of ``paths`` that does not exist.

    Args:
        paths (Sequence[Tuple[str, str, str]]): ``(config key, path, 'file' | 'folder')`` triples;
            remote paths (``s3://...``) pass.
    """
    missing = [f'{key}: {kind} {path} does not exist' for key, path, kind in paths
               if '://' not in path and not (osp.isfile(path) if kind == 'file' else osp.isdir(path))]
    if missing:
        raise UserFileError(
            'missing data:\n  ' + '\n  '.join(missing) +
            f'\nPrepare the data as described in {DATA_README}, or point the config at it '
            'with --cfg-options KEY=PATH (keys as listed above).')


def _has_entries(path):
    """Whether the text file ``path`` has a line that is not blank (reads up to the first one)."""
    with open(path, errors='replace') as lines:
        return any(line.strip() for line in lines)


def check_annotations_have_entries(paths: Sequence[Tuple[str, str, str]]) -> None:
    """Raise ValueError naming each existing ``ann_file`` of ``paths`` (as for :func:`check_paths_exist`)
    that holds no entry."""
    empty = [f'{key}: file {path} has no entries' for key, path, kind in paths
             if key.endswith('.ann_file') and osp.isfile(path) and not _has_entries(path)]
    if empty:
        raise UserValueError('empty annotation list:\n  ' + '\n  '.join(empty) +
                             '\nAn annotation list holds one "<video path> <label>" line per video: '
                             "tools/data/build_video_list.py writes it from class folders or the datasets' files.")


def check_data_paths(cfg: Config, dataloaders: Sequence[str]) -> None:
    """Raise FileNotFoundError listing each missing path of the named dataloaders' datasets, then
    ValueError for each annotation list without entries.

    Args:
        cfg (Config): the run config.
        dataloaders (Sequence[str]): names such as ``('train_dataloader', 'val_dataloader')``;
            absent or None entries are skipped.
    """
    paths = [path for key, dataset_cfg in loader_datasets(cfg, dataloaders) for path in dataset_paths(dataset_cfg, key)]
    check_paths_exist(paths)
    check_annotations_have_entries(paths)


def missing_paths(dataset_type: str, data_root: str, split: Optional[str] = None, data_prefix: str = '',
                  ann_file: str = '') -> List[str]:
    """Expected paths of a dataset that do not exist (empty when all are there)."""
    if isinstance(data_prefix, dict):
        data_prefix = data_prefix.get('img_path', data_prefix.get('root', ''))
    relative = [p.format(split=split) for p in EXPECTED_FILES.get(dataset_type, ())]
    relative += [p for p in (data_prefix, ann_file) if p]
    paths = [osp.join(data_root, p) for p in relative] or [data_root]
    return [p for p in paths if not osp.exists(p)]
