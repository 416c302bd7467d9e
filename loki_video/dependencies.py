"""Version checks for the OpenMMLab stack, run when loki_video is imported.

mmaction2 1.1.0 asserts ``mmcv < 2.1.0`` and mmaction2 1.2.0 from PyPI cannot
build models (its wheel lacks ``mmaction/models/localizers/drn``). Either full
mmcv or the pure-Python mmcv-lite works, as long as the version is in range.
"""
from importlib import metadata
from typing import Optional

from packaging.version import Version

# package -> (lowest allowed, first excluded), both as version strings.
SUPPORTED = {
    'mmengine': ('0.10.0', '1.0.0'),
    'mmcv': ('2.0.0', '2.1.0'),
    'mmaction2': ('1.1.0', '1.2.0'),
    'mmpretrain': ('1.0.0', '2.0.0'),
}
INSTALL_HINT = ('pip install "mmengine==0.10.7" "mmaction2==1.1.0" "mmpretrain==1.2.0" '
                'and either keep your full mmcv 2.0.x or run '
                '"pip install mmcv-lite==2.0.1" (or simply `make install`)')


def installed_version(package: str) -> Optional[str]:
    """The installed version of ``package`` (mmcv may come as mmcv or mmcv-lite), or None."""
    names = ('mmcv', 'mmcv-lite', 'mmcv-full') if package == 'mmcv' else (package,)
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def check_dependencies() -> None:
    """Raise ImportError naming every package outside its supported range."""
    problems = []
    for package, (low, high) in SUPPORTED.items():
        found = installed_version(package)
        if found is None:
            problems.append(f'{package} is not installed (need >={low},<{high})')
        elif not Version(low) <= Version(found) < Version(high):
            problems.append(f'{package} {found} is installed (need >={low},<{high})')
    if problems:
        raise ImportError('loki_video needs a compatible OpenMMLab stack: ' +
                          '; '.join(problems) + '. Fix: ' + INSTALL_HINT)
