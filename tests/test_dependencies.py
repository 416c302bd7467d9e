"""The import-time check names the wrong package and how to fix it."""
import sys
from pathlib import Path

import pytest

from loki_video import dependencies


def test_unsupported_mmcv_is_named_with_the_fix(monkeypatch):
    real = dependencies.installed_version
    monkeypatch.setattr(dependencies, 'installed_version',
                        lambda name: '2.1.0' if name == 'mmcv' else real(name))
    with pytest.raises(ImportError) as error:
        dependencies.check_dependencies()
    message = str(error.value)
    assert 'mmcv 2.1.0' in message and '<2.1.0' in message and 'mmcv-lite==2.0.1' in message


def test_missing_package_is_named(monkeypatch):
    real = dependencies.installed_version
    monkeypatch.setattr(dependencies, 'installed_version',
                        lambda name: None if name == 'mmaction2' else real(name))
    with pytest.raises(ImportError, match='mmaction2 is not installed'):
        dependencies.check_dependencies()


def test_setup_readme_and_the_linter_claim_one_python_version():
    import re
    root = Path(__file__).resolve().parent.parent
    required = re.search(r"python_requires='>=(\d+)\.(\d+)'", (root / 'setup.py').read_text()).groups()
    readme = re.search(r'^Python (\d+)\.(\d+) or newer', (root / 'README.md').read_text(), re.M).groups()
    target = re.search(r'target-version = "py(\d)(\d+)"', (root / 'pyproject.toml').read_text()).groups()
    assert required == readme == target
    assert sys.version_info[:2] >= tuple(map(int, required))
