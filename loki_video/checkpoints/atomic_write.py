"""Files written whole or not at all: checkpoints, ``last_checkpoint`` and exported weights.

:func:`write_atomically` (and any writer through :func:`atomic_file`, such as the video encoder of
``tools/data/prepare_videos.py``) writes to a temporary file in the destination's folder, flushes it to the
disk (``fsync``), renames it over the destination (``os.replace``, atomic on POSIX file systems) and
flushes the folder, so that the rename survives a power loss: a kill or a full disk at any moment
leaves either the previous file or the new one, never a truncated file under the final name. The
file gets the permissions a plain ``open(path, 'wb')`` would give it (the umask's for a new file, the
old file's for a replaced one), so that others on a shared cluster read it as before.
:class:`AtomicLocalBackend` is mmengine's ``LocalBackend`` writing this way, registered as
``backend='atomic_local'`` for ``CheckpointHook(backend_args=...)`` (the runtime configs set it), so
every ``runner.save_checkpoint`` goes through it.

Temporary files are named ``.<name>.<host>.<pid>.<random>.partial`` (never ``*.pth``, so no glob for
checkpoints picks one up); :func:`remove_stale_temporaries` removes those whose writer on this host is
no longer running (a killed save's), at each write and when a run starts.
"""
import contextlib
import os
import os.path as osp
import re
import secrets
import shutil
import socket
import stat
from typing import Iterator, Union

from mmengine.fileio import LocalBackend, register_backend

from loki_video.user_error import UserError

TEMPORARY_SUFFIX = '.partial'
_TEMPORARY = re.compile(r'^\..+\.(?P<host>[^.]+)\.(?P<pid>\d+)\.[0-9a-f]+' + re.escape(TEMPORARY_SUFFIX) + '$')


class CheckpointWriteError(UserError, OSError):
    """A file could not be written; the message names it, the error and the free space."""


def _free_space(folder: str) -> str:
    try:
        return f'{shutil.disk_usage(folder).free / 2**30:.2f} GiB free on {folder}'
    except OSError:
        return f'free space on {folder} unknown'


def _host() -> str:
    return socket.gethostname().split('.')[0].replace('.', '_') or 'localhost'


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def remove_stale_temporaries(folder: Union[str, os.PathLike]) -> list:
    """Remove the temporary files in ``folder`` left by writers on this host that are no longer running.

    Returns:
        list[str]: the paths removed. Another host's temporaries are left alone (its writer may be running).
    """
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    host = _host()
    for name in names:
        match = _TEMPORARY.match(name)
        if match and match['host'] == host and not _running(int(match['pid'])):
            try:
                os.remove(osp.join(folder, name))
                removed.append(osp.join(folder, name))
            except FileNotFoundError:
                pass
    return removed


def _fsync_folder(folder: str) -> None:
    """Make a rename in ``folder`` durable (POSIX; folders cannot be opened on Windows)."""
    if os.name != 'posix':
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def atomic_file(path: Union[str, os.PathLike]) -> Iterator[str]:
    """The path of a new temporary file in ``path``'s folder to write ``path`` through: when the block
    ends without an error the file is flushed to the disk and renamed over ``path`` (the folder
    flushed too); on an error it is removed and ``path`` is left as it was.

    Raises:
        OSError: of creating, flushing or renaming the file.
    """
    path = str(path)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    remove_stale_temporaries(folder)
    temporary = osp.join(folder, f'.{osp.basename(path)}.{_host()}.{os.getpid()}.{secrets.token_hex(4)}'
                                 f'{TEMPORARY_SUFFIX}')
    # os.open with 0o666 applies the umask as a plain open does (mkstemp would give 0o600)
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_BINARY', 0), 0o666))
    try:
        yield temporary
        if osp.exists(path):  # a plain open keeps the mode of the file it overwrites
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        descriptor = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
        _fsync_folder(folder)
    finally:
        if osp.exists(temporary):
            os.remove(temporary)


def write_atomically(path: Union[str, os.PathLike], data: bytes) -> None:
    """Write ``data`` to ``path`` through :func:`atomic_file`.

    Raises:
        CheckpointWriteError: any error of the write (full disk, file size limit, permissions), with
            the file, the error and the free space; ``path`` is left as it was.
    """
    path = str(path)
    folder = osp.dirname(osp.abspath(path))
    try:
        with atomic_file(path) as temporary, open(temporary, 'wb') as file:
            file.write(data)
    except OSError as error:
        raise CheckpointWriteError(f'could not write {path}: {error.strerror or error} ({_free_space(folder)}); '
                                   f'{"the previous file is intact" if osp.exists(path) else "nothing was written"}'
                                   ) from error


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend whose ``put`` and ``put_text`` write atomically."""

    def put(self, obj: bytes, filepath: Union[str, os.PathLike]) -> None:
        write_atomically(filepath, obj)

    def put_text(self, obj: str, filepath: Union[str, os.PathLike], encoding: str = 'utf-8') -> None:
        write_atomically(filepath, obj.encode(encoding))


register_backend('atomic_local', AtomicLocalBackend, force=True)
