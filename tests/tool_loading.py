"""Scripts under tools/ and configs/ (not packages) loaded as modules, for the tests of every folder."""
import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_tool(path):
    """``load_tool('tools/train.py')``: the script at ``path`` (relative to the repository) as a module.

    The module is registered as ``tool_<name>`` in ``sys.modules``, so that worker processes can
    unpickle its functions (``tools/data/check_videos.py`` runs a ``multiprocessing.Pool``).
    """
    path = REPO / path
    spec = importlib.util.spec_from_file_location(f'tool_{path.stem}', path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
