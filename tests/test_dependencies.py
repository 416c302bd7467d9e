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


def test_make_tests_grouping_keeps_a_group_in_one_process(tmp_path):
    """make test's --dist loadgroup with the marks tests/conftest.py adds: a group's tests run in one worker."""
    import subprocess
    (tmp_path / 'conftest.py').write_text(
        'import pytest\n\n\n@pytest.hookimpl(tryfirst=True)\ndef pytest_collection_modifyitems(config, items):\n'
        "    for item in items:\n        item.add_marker(pytest.mark.xdist_group('one'))\n")
    (tmp_path / 'test_spread.py').write_text(
        'import os\n\nimport pytest\n\n\n@pytest.mark.parametrize("i", range(12))\ndef test_where(i):\n'
        f"    open({str(tmp_path / 'workers.txt')!r}, 'a').write(os.environ['PYTEST_XDIST_WORKER'] + '\\n')\n")
    subprocess.run([sys.executable, '-m', 'pytest', str(tmp_path), '-q', '-n', '2', '--dist', 'loadgroup',
                    '-p', 'no:cacheprovider'], cwd=tmp_path, check=True, capture_output=True)
    assert len(set((tmp_path / 'workers.txt').read_text().split())) == 1
