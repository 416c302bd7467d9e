"""mmengine's loader for local checkpoint files, with safe loading.

mmengine 0.10.7 reads local files with a plain ``torch.load``; with torch >=
2.6 (``weights_only=True`` by default) this fails on mmengine's own training
checkpoints, which pickle the message hub's ``HistoryBuffer``. The loader
registered here reads them with :func:`~loki_video.engine.safe_load.safe_torch_load`
(allow-listed types only, never arbitrary code) and also reads
``.safetensors`` files. Every mmengine path that loads a local file
(``load_from``, ``resume``, ``mmengine.runner.load_checkpoint``) goes through
it once :func:`register_safe_local_loader` has run, which importing
``loki_video.engine`` does.
"""
import os.path as osp

from mmengine.runner.checkpoint import CheckpointLoader

from .safe_load import safe_torch_load


def load_from_safe_local(filename, map_location=None):
    """Read a local checkpoint file (pickle or safetensors) without running its code.

    The name follows mmengine's ``load_from_<backend>`` convention (it logs
    "Loads checkpoint by safe_local backend").
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} does not exist')
    if filename.endswith('.safetensors'):
        from safetensors.torch import load_file
        return load_file(filename, device=map_location if isinstance(map_location, str) else 'cpu')
    return safe_torch_load(filename, map_location=map_location)


def register_safe_local_loader():
    """Make :func:`load_from_safe_local` mmengine's loader for local paths (prefix '')."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_safe_local, force=True)
