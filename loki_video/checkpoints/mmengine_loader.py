"""mmengine's loader for local checkpoint files, reading them safely.

mmengine 0.10.7 reads local files with a plain ``torch.load``; with torch >= 2.6
(``weights_only=True`` by default) this fails on mmengine's own training checkpoints, which
pickle the message hub's ``HistoryBuffer``. The loader registered here reads them with
:func:`~loki_video.checkpoints.safe_read.read_checkpoint_file` (allow-listed types only, never
arbitrary code; also ``.safetensors`` files). Every mmengine path that loads a local file
(``load_from``, ``resume``, ``mmengine.runner.load_checkpoint``) goes through it once
:func:`register_safe_local_loader` has run: importing ``loki_video.engine`` (the runtime
configs' ``custom_imports``) and :func:`loki_video.checkpoints.load_checkpoint` do that.
"""
from typing import Optional

from mmengine.runner.checkpoint import CheckpointLoader

from .safe_read import read_checkpoint_file


def load_from_safe_local(filename: str, map_location: Optional[str] = None) -> dict:
    """Read a local checkpoint file without running its code.

    The name follows mmengine's ``load_from_<backend>`` convention (it logs
    "Loads checkpoint by safe_local backend").
    """
    return read_checkpoint_file(filename, map_location=map_location)


def register_safe_local_loader() -> None:
    """Make :func:`load_from_safe_local` mmengine's loader for local paths (prefix '')."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_safe_local, force=True)
