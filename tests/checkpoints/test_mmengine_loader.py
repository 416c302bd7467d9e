"""mmengine loads its own training checkpoints (and safetensors) safely once loki_video.engine is imported."""
import collections

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.runner import CheckpointLoader
from safetensors.torch import save_file

import loki_video.engine  # noqa: F401  (registers the loader)


def test_training_checkpoint_with_message_hub_loads(tmp_path):
    hub = MessageHub('checkpoint_loader_test')
    hub.update_scalar('train/loss', 0.5)
    hub.update_info('iter', 3)
    path = tmp_path / 'epoch_1.pth'
    torch.save(dict(meta=dict(epoch=1), state_dict=dict(w=torch.ones(2)), message_hub=hub.state_dict()), path)
    checkpoint = CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert checkpoint['message_hub']['log_scalars']['train/loss'].mean() == 0.5
    assert torch.equal(checkpoint['state_dict']['w'], torch.ones(2))


def test_safetensors_file_loads(tmp_path):
    path = tmp_path / 'weights.safetensors'
    save_file(dict(w=torch.zeros(3)), str(path))
    assert torch.equal(CheckpointLoader.load_checkpoint(str(path), map_location='cpu')['w'], torch.zeros(3))


class RunsCode:
    def __reduce__(self):
        return getattr, (collections.OrderedDict, 'fromkeys')


def test_checkpoint_that_would_run_code_is_refused(tmp_path):
    path = tmp_path / 'bad.pth'
    torch.save(dict(payload=RunsCode()), path)
    with pytest.raises(RuntimeError, match='refusing to load'):
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
