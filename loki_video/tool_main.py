"""How every tool ends: a user's mistake in one line and exit status 1; ``--debug`` for the traceback.

Each script under ``tools/`` ends with ``run_main(main)``. A user's mistake is:

* an error of the project's own checks (:class:`~loki_video.user_error.UserError`: a missing or
  misnamed file, a wrong value, an unknown name, a checkpoint that does not fit the model, a run
  stopped by a checkpoint it could not write or by a non-finite loss; each message names the file or
  key and the fix);
* a config key that the class it configures does not take (:func:`explain_unexpected_argument`
  names the key path, the class, the closest argument and all it accepts);
* a type that a registry does not hold (mmengine's ``KeyError: 'X is not in the ... registry'``);
* an error of the operating system on a path (a missing file, a read-only or full disk), which names it.

It is printed as ``<tool>: <message>`` on stderr and the tool exits with status 1. ``--debug``
anywhere on the command line (taken out before the tool reads its arguments) shows the full traceback
instead. Any other exception (a ``KeyError`` or ``ValueError`` from inside the project or a library)
is a fault of the tool and keeps its traceback.
"""
import difflib
import inspect
import os.path as osp
import re
import sys
from typing import Any, Callable, Optional

from mmengine.config import Config

REGISTRY_MISS = re.compile(r'is not in the \S+ registry')
UNEXPECTED = re.compile(r"(\w+)\.__init__\(\) got an unexpected keyword argument '(\w+)'")


def _config_paths(node, key, prefix: str = ''):
    """Dotted paths of ``key`` in a nested config (dicts and lists)."""
    paths = []
    if isinstance(node, dict):
        for name, value in node.items():
            path = f'{prefix}.{name}' if prefix else str(name)
            if name == key:
                paths.append(path)
            paths += _config_paths(value, key, path)
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            paths += _config_paths(value, key, f'{prefix}[{index}]')
    return paths


def _class_named(name, traceback):
    """The class called ``name`` that the innermost frame of ``traceback`` was calling, or None."""
    while traceback.tb_next is not None:
        traceback = traceback.tb_next
    frame = traceback.tb_frame
    for value in list(frame.f_locals.values()) + [frame.f_globals.get(name)]:
        if inspect.isclass(value) and value.__name__ == name:
            return value
    return None


def explain_unexpected_argument(error: TypeError, cfg: Optional[Config] = None) -> Optional[str]:
    """One line for ``TypeError: X.__init__() got an unexpected keyword argument 'k'``, or None for other
    errors: where ``k`` is in ``cfg``, the class, the closest argument it takes and all of them."""
    match = UNEXPECTED.search(str(error))
    if match is None:
        return None
    name, key = match.groups()
    paths = _config_paths(cfg.to_dict() if hasattr(cfg, 'to_dict') else cfg or {}, key)
    where = ' or '.join(paths) if paths else key
    message = f'{where}: {name} takes no argument {key!r}'
    cls = _class_named(name, error.__traceback__)
    if cls is not None:
        accepted = [p.name for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
                    if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        close = difflib.get_close_matches(key, accepted, n=1)
        message += (f'; did you mean {close[0]}?' if close else '') + f' It takes: {", ".join(accepted)}'
    return message


def user_message(error: BaseException) -> Optional[str]:
    """The line to print for ``error`` if it is a user's mistake (module docstring), else None. Imports
    what it needs only here, so that light tools stay light."""
    from .user_error import UserError
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, TypeError):
        from .config import last_loaded_config
        return explain_unexpected_argument(error, last_loaded_config())
    if isinstance(error, KeyError) and error.args and REGISTRY_MISS.search(str(error.args[0])):
        return str(error.args[0])
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        return f'{error.filename}: {error.strerror}'
    return None


def run_main(main: Callable[[], Any]) -> Any:
    """Run ``main()`` (which reads ``sys.argv``) with the error handling of the module docstring."""
    debug = '--debug' in sys.argv[1:]
    sys.argv = [sys.argv[0]] + [arg for arg in sys.argv[1:] if arg != '--debug']
    try:
        return main()
    except Exception as error:
        message = None if debug else user_message(error)
        if message is None:
            raise
    print(f'{osp.basename(sys.argv[0])}: {message.strip()}', file=sys.stderr)
    raise SystemExit(1)
