"""Output paths checked before a tool starts its work, so that a folder it cannot write to costs seconds,
not the run (each error names the option, the path and the reason)."""
import os
import os.path as osp
import tempfile
from typing import Optional

from loki_video.user_error import UserFileError


def _probe(folder: str, option: str, path: str) -> None:
    """Create and remove a file in ``folder``, as the tool will write there."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix='.write-check-'):
            pass
    except OSError as error:
        raise UserFileError(f'{option} {path}: cannot write in {folder} ({error.strerror or error})') from None


def writable_folder(path: Optional[str], option: str) -> Optional[str]:
    """``path`` (None passes), created if missing; raises :class:`UserFileError` unless files can be written in it."""
    if path is None:
        return None
    if osp.exists(path) and not osp.isdir(path):
        raise UserFileError(f'{option} {path}: a file, not a folder')
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as error:
        raise UserFileError(f'{option} {path}: cannot create this folder ({error.strerror or error})') from None
    _probe(path, option, path)
    return path


def writable_file(path: Optional[str], option: str, create_folder: bool = False) -> Optional[str]:
    """``path`` (None passes); raises :class:`UserFileError` unless it can be written: a folder, a missing parent
    folder (created instead with ``create_folder``, as for a file in a run's work dir) or one that refuses writes."""
    if path is None:
        return None
    if osp.isdir(path):
        raise UserFileError(f'{option} {path}: a folder, not a file')
    folder = osp.dirname(osp.abspath(path))
    if create_folder:
        writable_folder(folder, option)
    if not osp.isdir(folder):
        raise UserFileError(f'{option} {path}: its folder {osp.dirname(path) or folder} does not exist')
    if osp.exists(path) and not os.access(path, os.W_OK):
        raise UserFileError(f'{option} {path}: the file is read-only')
    _probe(folder, option, path)
    return path
