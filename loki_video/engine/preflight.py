"""Checks that run before anything slow is built, each naming the config key and what to change.

The Runner builds the model (loading its pretrained weights) long before the datasets and the
first forward; a config whose parts disagree would only fail there, minutes later and deep in a
traceback. :func:`check_before_building` runs in seconds:

* the data files exist (:func:`~loki_video.datasets.data_paths.check_data_paths`);
* every pipeline's clips have the backbone's ``num_frames`` (video configs);
* the largest label of each annotation list fits ``model.cls_head.num_classes``;
* ``model.backbone.pretrained`` names a checkpoint file (or a known name that resolves to one).
"""
import logging
import os.path as osp
from typing import Sequence

from mmengine.config import Config
from mmengine.registry import DATASETS

from loki_video.user_error import UserFileError, UserValueError

from ..datasets.data_paths import check_data_paths, dataset_paths, loader_datasets

FRAME_SAMPLERS = ('SampleFrames', 'UniformSample', 'UniformSampleFrames', 'DenseSampleFrames')
# Dataset classes whose annotation lines are "<video> <label> ..." / "<frame dir> <frames> <label> ...".
LABEL_COLUMN = {'VideoDataset': 1, 'RawframeDataset': 2}


def check_clip_lengths(cfg: Config, dataloaders: Sequence[str]) -> None:
    """Raise ValueError when a pipeline's frame sampler gives clips of another length than
    ``model.backbone.num_frames`` (the temporal embedding has that many positions)."""
    frames = (cfg.model.get('backbone') or {}).get('num_frames')
    if not frames or frames == 1:
        return
    for key, dataset in loader_datasets(cfg, dataloaders):
        for index, transform in enumerate(dataset.get('pipeline') or []):
            if transform.get('type') in FRAME_SAMPLERS and transform.get('clip_len', frames) != frames:
                raise UserValueError(
                    f"{key}.pipeline[{index}] ({transform['type']}): clip_len={transform['clip_len']} but "
                    f'model.backbone.num_frames={frames}; give both the same value')


def _label_column(dataset_type):
    """The first label column of the dataset class's annotation lines, or None (not a list we read)."""
    with DATASETS.switch_scope_and_registry(None) as registry:
        dataset_class = registry.get(dataset_type) if isinstance(dataset_type, str) else dataset_type
    for base in getattr(dataset_class, '__mro__', ()):
        if base.__name__ in LABEL_COLUMN:
            return LABEL_COLUMN[base.__name__]
    return None


def check_labels(cfg: Config, dataloaders: Sequence[str]) -> None:
    """Raise ValueError when an annotation list holds a label outside ``0 .. num_classes - 1``."""
    num_classes = (cfg.model.get('cls_head') or {}).get('num_classes')
    if not num_classes:
        return
    for key, dataset in loader_datasets(cfg, dataloaders):
        column = _label_column(dataset.get('type'))
        paths = [path for name, path, kind in dataset_paths(dataset, key) if name.endswith('ann_file')]
        if column is None or not paths or not osp.isfile(paths[0]) or dataset.get('multi_class'):
            continue
        with open(paths[0]) as annotations:
            for number, line in enumerate(annotations, 1):
                fields = line.split()
                labels = [int(field) for field in fields[column:] if field.lstrip('-').isdigit()]
                bad = [label for label in labels if not 0 <= label < num_classes]
                if bad:
                    raise UserValueError(
                        f'{key}.ann_file: {paths[0]} line {number} has label {bad[0]}, but '
                        f'model.cls_head.num_classes={num_classes} allows 0..{num_classes - 1}; '
                        'set num_classes to the number of classes of the list')


def check_pretrained(cfg: Config) -> None:
    """Raise FileNotFoundError or ValueError unless ``model.backbone.pretrained`` resolves to a
    checkpoint file; a known name that is missing offline fails at once (``resolve_source``)."""
    source = (cfg.model.get('backbone') or {}).get('pretrained')
    if not source or '://' in str(source):
        return
    from ..checkpoints.pretrained import resolve_source
    from ..checkpoints.safe_read import check_torch_file
    from ..checkpoints.torchscript_archive import is_torchscript_archive
    path = resolve_source(source)
    if not osp.isfile(path):
        raise UserFileError(f'model.backbone.pretrained: {path} does not exist; the comment at the '
                            'top of the config says where its file comes from')
    if not path.endswith('.safetensors') and not is_torchscript_archive(path):
        check_torch_file(path)


def warn_random_frozen_backbone(cfg: Config) -> None:
    """Warn when training keeps a backbone frozen at random weights (``pretrained=None``): its
    features carry nothing, so such a run only tests the plumbing and stays near chance."""
    backbone = cfg.model.get('backbone') or {}
    trainable = backbone.get('trainable') or ()
    if backbone.get('type') != 'TunableViT' or backbone.get('pretrained') or 'all' in trainable:
        return
    from mmengine.logging import print_log
    print_log('model.backbone.pretrained is None and the backbone is frozen (trainable='
              f'{tuple(trainable)}): its weights stay random, so this run only tests the plumbing and '
              'its accuracy stays near chance. Set model.backbone.pretrained to a checkpoint '
              '(docs/custom_dataset.md).', logger='current', level=logging.WARNING)


def check_before_building(cfg: Config, dataloaders: Sequence[str]) -> None:
    """All checks of the module docstring for the named dataloaders (e.g. ``('test_dataloader',)``).

    Raises:
        FileNotFoundError or ValueError: naming the config key, the file and what to change.
    """
    check_data_paths(cfg, dataloaders)
    check_clip_lengths(cfg, dataloaders)
    check_labels(cfg, dataloaders)
    check_pretrained(cfg)
