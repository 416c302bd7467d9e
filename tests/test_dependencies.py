"""The import-time check names the wrong package and how to fix it."""
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
