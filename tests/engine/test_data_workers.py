"""num_workers='auto': a process's share of its node's cores, less one; pinned memory where a GPU trains."""
import pytest
import torch
from mmengine.config import Config

from loki_video.engine.data_workers import cores_of_this_process, resolve_auto_workers, workers_per_process
from loki_video.engine.runner import LokiVideoRunner


@pytest.mark.parametrize('cores, processes, workers', [(16, 8, 1), (96, 8, 11), (2, 1, 1), (64, 1, 63), (4, 8, 1)])
def test_workers_are_the_share_of_the_cores_less_the_training_loop(cores, processes, workers):
    assert workers_per_process(cores, processes) == workers


def test_the_processes_of_a_node_come_from_torchrun(monkeypatch):
    monkeypatch.setenv('LOCAL_WORLD_SIZE', '4')
    assert workers_per_process(cores=40) == 9
    monkeypatch.delenv('LOCAL_WORLD_SIZE')
    assert workers_per_process() == max(1, cores_of_this_process() - 1)


def test_auto_is_resolved_and_numbers_are_kept():
    resolved = resolve_auto_workers(dict(num_workers='auto', pin_memory='auto', persistent_workers=True))
    assert resolved == dict(num_workers=workers_per_process(), pin_memory=torch.cuda.is_available(),
                            persistent_workers=True)
    assert resolve_auto_workers(dict(num_workers=6, pin_memory=False)) == dict(num_workers=6, pin_memory=False)
    assert resolve_auto_workers(dict(num_workers=0, persistent_workers=True))['persistent_workers'] is False


def test_the_runner_builds_auto_loaders_and_the_video_configs_ask_for_them():
    loader = LokiVideoRunner.build_dataloader(dict(
        batch_size=2, num_workers='auto', pin_memory='auto', persistent_workers=True,
        sampler=dict(type='DefaultSampler', shuffle=False), dataset=torch.utils.data.TensorDataset(torch.arange(4))))
    assert loader.num_workers == workers_per_process() and loader.pin_memory == torch.cuda.is_available()
    cfg = Config.fromfile('configs/loki_k400_8x1x1.py')
    assert [cfg[f'{split}_dataloader'].num_workers for split in ('train', 'val', 'test')] == ['auto'] * 3
