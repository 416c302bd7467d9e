"""Missing annotation files and data folders are reported with their config keys, before any build."""
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from loki_video.datasets.data_paths import check_data_paths, dataset_paths


def test_paths_are_joined_to_data_root_and_wrappers_followed(tmp_path):
    dataset = dict(type='RepeatDataset', times=2, dataset=dict(
        type='VideoDataset', data_root=str(tmp_path), ann_file='train.txt', data_prefix=dict(video='videos')))
    assert dataset_paths(dataset, 'train_dataloader.dataset') == [
        ('train_dataloader.dataset.dataset.data_root', str(tmp_path), 'folder'),
        ('train_dataloader.dataset.dataset.ann_file', str(tmp_path / 'train.txt'), 'file'),
        ('train_dataloader.dataset.dataset.data_prefix.video', str(tmp_path / 'videos'), 'folder')]


def test_missing_paths_are_listed_with_their_keys(tmp_path):
    (tmp_path / 'videos').mkdir()
    cfg = Config(dict(
        train_dataloader=dict(dataset=dict(type='VideoDataset', ann_file=str(tmp_path / 'train.txt'),
                                           data_prefix=dict(video=str(tmp_path / 'videos')))),
        val_dataloader=dict(dataset=dict(type='VideoDataset', ann_file=str(tmp_path / 'val.txt'),
                                         data_prefix=dict(video=str(tmp_path / 'missing')))),
        test_dataloader=None))
    with pytest.raises(FileNotFoundError) as error:
        check_data_paths(cfg, ('train_dataloader', 'val_dataloader', 'test_dataloader'))
    message = str(error.value)
    assert f'train_dataloader.dataset.ann_file: file {tmp_path}/train.txt does not exist' in message
    assert f'val_dataloader.dataset.data_prefix.video: folder {tmp_path}/missing does not exist' in message
    assert 'data/README.md' in message and 'videos does not exist' not in message


def test_datasets_that_download_their_files_are_not_checked(tmp_path):
    init_default_scope('mmpretrain')
    assert dataset_paths(dict(type='CIFAR10', data_root=str(tmp_path / 'cifar')), 'key') == []
    assert dataset_paths(dict(type='CIFAR10', data_root=str(tmp_path / 'cifar'), download=False), 'key') != []
