"""SafeCheckpointHook: the mid-epoch trigger by time (a save once the interval has passed, then the clock
restarts), and the position in the epoch that a mid-epoch checkpoint records and a resumed run starts from."""
from types import SimpleNamespace
from unittest import mock

import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.logging import MessageHub
from mmengine.runner import EpochBasedTrainLoop

from loki_video.datasets import ResumableSampler
from loki_video.engine.hooks import safe_checkpoint_hook
from loki_video.engine.hooks.safe_checkpoint_hook import SafeCheckpointHook

from tiny_runner import RecordingLogger


def loader(dataset, batch_size, world_size, rank=0):
    with mock.patch('mmengine.dataset.sampler.get_dist_info', return_value=(rank, world_size)):
        sampler = ResumableSampler(list(dataset), seed=1)
    return torch.utils.data.DataLoader(list(dataset), batch_size=batch_size, sampler=sampler)


def test_minutes_since_the_last_save_trigger_a_mid_epoch_checkpoint(tmp_path, monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(safe_checkpoint_hook.time, 'monotonic', lambda: clock[0])
    saved = []
    runner = SimpleNamespace(
        iter=0, epoch=0, work_dir=str(tmp_path), train_dataloader=loader(range(100), 1, world_size=1),
        logger=RecordingLogger(),
        message_hub=MessageHub.get_instance('safe_checkpoint_hook_test'),
        save_checkpoint=lambda out_dir, filename, *args, **kwargs: saved.append((filename, kwargs['meta'])))
    hook = SafeCheckpointHook(interval_minutes=10)
    hook.out_dir, hook.file_backend = str(tmp_path), get_file_backend(str(tmp_path), backend_args=hook.backend_args)
    for runner.iter, clock[0] in ((0, 60.0), (1, 599.0), (2, 600.0), (3, 1199.0), (4, 1200.0)):
        hook.after_train_iter(runner, runner.iter)
    assert saved == [('iter_3.pth', dict(epoch=0, iter=3)), ('iter_5.pth', dict(epoch=0, iter=5))]
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'iter_5.pth')


@pytest.mark.parametrize('before, after', [(2, 1), (1, 2)])
def test_a_mid_epoch_checkpoint_resumes_at_its_position_on_another_number_of_processes(tmp_path, before, after):
    """``before`` ranks train 3 batches of 2 and save; ``after`` ranks, batches of 3, train the rest."""
    hub = MessageHub.get_instance(f'safe_checkpoint_position_{before}_{after}')
    trained = []
    for rank in range(before):
        runner = SimpleNamespace(iter=2, epoch=0, work_dir=str(tmp_path), logger=RecordingLogger(), message_hub=hub,
                                 train_dataloader=loader(range(24), 2, before, rank),
                                 save_checkpoint=lambda *args, **kwargs: None)
        hook = SafeCheckpointHook(interval_iters=3)
        hook.out_dir = str(tmp_path)
        hook.file_backend = get_file_backend(str(tmp_path), backend_args=hook.backend_args)
        trained += list(runner.train_dataloader.sampler)[:6]
        hook.after_train_iter(runner, batch_idx=2)
    assert hub.get_info(safe_checkpoint_hook.POSITION_KEY) == dict(epoch=0, samples=6 * before, dataset_size=24,
                                                                   world_size=before)
    for rank in range(after):
        runner = SimpleNamespace(iter=3, epoch=0, work_dir=str(tmp_path), logger=RecordingLogger(), message_hub=hub,
                                 train_dataloader=loader(range(24), 3, after, rank), cfg={})
        runner.train_loop = mock.Mock(spec=EpochBasedTrainLoop)
        with mock.patch.object(safe_checkpoint_hook.CheckpointHook, 'before_train'):
            hook = SafeCheckpointHook(interval_iters=3)
            hook.out_dir = str(tmp_path)
            hook.before_train(runner)
        trained += [int(i) for batch in runner.train_dataloader for i in batch]
    assert sorted(trained) == list(range(24))
    assert f'after {6 * before} of its 24 samples (saved at world size {before}, now {after})' in \
        runner.logger.records[-1][1]
