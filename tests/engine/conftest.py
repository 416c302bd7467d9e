"""Fixtures: a pretrained tiny backbone file and the tiny video config that loads it."""
import sys
from pathlib import Path

import pytest

from loki_video.config import load_config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tools'))  # tiny_runner, next to the tiny config
from tiny_runner import TINY_CONFIG, write_pretrained  # noqa: E402


@pytest.fixture
def pretrained_file(tmp_path):
    return write_pretrained(tmp_path / 'pretrained.pth')


@pytest.fixture
def tiny_cfg(pretrained_file):
    """The tiny video config with ``model.backbone.pretrained`` set to a real file."""
    return load_config(str(TINY_CONFIG), {'model.backbone.pretrained': pretrained_file})
