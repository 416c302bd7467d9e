"""Files written whole or not at all: checkpoints, ``last_checkpoint`` and exported weights.

:func:`write_atomically` writes to a temporary file in the destination's folder, flushes it to the
disk (``fsync``) and renames it over the destination (``os.replace``, atomic on POSIX file
systems): a kill or a full disk at any moment leaves either the previous file or the new one, never
a truncated file under the final name. :class:`AtomicLocalBackend` is mmengine's ``LocalBackend``
writing this way, registered as ``backend='atomic_local'`` for ``CheckpointHook(backend_args=...)``
(the runtime configs set it), so every ``runner.save_checkpoint`` goes through it.
"""
import os
import os.path as osp
import shutil
import tempfile
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

TEMPORARY_SUFFIX = '.partial'  # never ends with .pth, so no glob for checkpoints picks one up


class CheckpointWriteError(OSError):
    """A file could not be written; the message names it, the error and the free space."""


def _free_space(folder: str) -> str:
    try:
        return f'{shutil.disk_usage(folder).free / 2**30:.2f} GiB free on {folder}'
    except OSError:
        return f'free space on {folder} unknown'


def write_atomically(path: Union[str, os.PathLike], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename it.

    Raises:
        CheckpointWriteError: any error of the write (full disk, file size limit, permissions), with
            the file, the error and the free space; ``path`` is left as it was.
    """
    path = str(path)
    folder = osp.dirname(osp.abspath(path))
    temporary = None
    try:
        os.makedirs(folder, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.', suffix=TEMPORARY_SUFFIX,
                                                 dir=folder)
        with os.fdopen(descriptor, 'wb') as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
        temporary = None
    except OSError as error:
        raise CheckpointWriteError(f'could not write {path}: {error.strerror or error} ({_free_space(folder)}); '
                                   f'{"the previous file is intact" if osp.exists(path) else "nothing was written"}'
                                   ) from error
    finally:
        if temporary is not None and osp.exists(temporary):
            os.remove(temporary)


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend whose ``put`` and ``put_text`` write atomically."""

    def put(self, obj: bytes, filepath: Union[str, os.PathLike]) -> None:
        write_atomically(filepath, obj)

    def put_text(self, obj: str, filepath: Union[str, os.PathLike], encoding: str = 'utf-8') -> None:
        write_atomically(filepath, obj.encode(encoding))


register_backend('atomic_local', AtomicLocalBackend, force=True)
