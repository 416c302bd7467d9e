"""SafeCheckpointHook's mid-epoch trigger by time: a save once the interval has passed, then the clock restarts."""
from types import SimpleNamespace

from mmengine.fileio import get_file_backend
from mmengine.logging import MessageHub

from loki_video.engine.hooks import safe_checkpoint_hook
from loki_video.engine.hooks.safe_checkpoint_hook import SafeCheckpointHook

from tiny_runner import RecordingLogger


def test_minutes_since_the_last_save_trigger_a_mid_epoch_checkpoint(tmp_path, monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(safe_checkpoint_hook.time, 'monotonic', lambda: clock[0])
    saved = []
    runner = SimpleNamespace(
        iter=0, epoch=0, work_dir=str(tmp_path), train_dataloader=list(range(100)), logger=RecordingLogger(),
        message_hub=MessageHub.get_instance('safe_checkpoint_hook_test'),
        save_checkpoint=lambda out_dir, filename, *args, **kwargs: saved.append((filename, kwargs['meta'])))
    hook = SafeCheckpointHook(interval_minutes=10)
    hook.out_dir, hook.file_backend = str(tmp_path), get_file_backend(str(tmp_path), backend_args=hook.backend_args)
    for runner.iter, clock[0] in ((0, 60.0), (1, 599.0), (2, 600.0), (3, 1199.0), (4, 1200.0)):
        hook.after_train_iter(runner, runner.iter)
    assert saved == [('iter_3.pth', dict(epoch=0, iter=3)), ('iter_5.pth', dict(epoch=0, iter=5))]
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'iter_5.pth')
