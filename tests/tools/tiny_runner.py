"""Test support for the tiny video config: a pretrained backbone file, a stand-in for the Runner,
running the tools and reading what they save."""
import subprocess
from pathlib import Path
from types import SimpleNamespace

import torch
from mmaction.structures import ActionDataSample

from loki_video.checkpoints.safe_read import safe_torch_load
from loki_video.config import build_model
from loki_video.models.backbones import TunableViT
from loki_video.models.peft.freeze_policy import report_group

TINY_CONFIG = Path(__file__).resolve().parent / 'configs' / 'tiny_video.py'
ROOT = Path(__file__).resolve().parents[2]


def run_tool(*args, timeout=180, check=True, env=None):
    """Run a tool from the repository root; returns the CompletedProcess (stdout and stderr merged)."""
    result = subprocess.run([*args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=timeout, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f'{args} failed ({result.returncode}):\n{result.stdout[-5000:]}')
    return result


def state_dict_of(path):
    """The ``state_dict`` of a checkpoint file."""
    return safe_torch_load(str(path))['state_dict']


def write_pretrained(path, seed=0):
    """Save the pretrained-group weights of a random tiny backbone (what the tiny config builds)."""
    torch.manual_seed(seed)
    backbone = TunableViT(arch='tiny', img_size=32, num_frames=4)
    torch.save({k: v for k, v in backbone.state_dict().items() if report_group(k) == 'pretrained'}, path)
    return str(path)


def make_runner(cfg):
    """What the engine hooks use of a Runner: ``model``, ``cfg`` and a recording ``logger``."""
    return SimpleNamespace(model=build_model(cfg), cfg=cfg, logger=RecordingLogger())


class RecordingLogger:
    """Collects ``(level, message)`` pairs instead of printing them."""

    def __init__(self):
        self.records = []

    def info(self, message):
        self.records.append(('info', message))

    def warning(self, message):
        self.records.append(('warning', message))


def tiny_batch(seed):
    """Two random uint8 clips (1, 3, 4, 32, 32) of the tiny config with labels 1 and 5."""
    generator = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 256, (1, 3, 4, 32, 32), generator=generator, dtype=torch.uint8) for _ in range(2)]
    samples = [ActionDataSample().set_gt_labels(torch.tensor([label])) for label in (1, 5)]
    return dict(inputs=inputs, data_samples=samples)
