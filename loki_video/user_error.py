"""The errors of the project's own checks of what a user gives it: a file, a value, a key.

Every tool prints these in one line (:mod:`loki_video.tool_main`); any other exception is a fault and
keeps its traceback. Each also is the built-in exception it refines, so ``except ValueError`` and
``pytest.raises(FileNotFoundError)`` hold as before.
"""


class UserError(Exception):
    """A check of a user's input failed; the message names the file or key and what to do."""


class UserValueError(UserError, ValueError):
    """A wrong value: an option, a config entry, the content of a file."""


class UserFileError(UserError, FileNotFoundError):
    """A file or folder the user named is missing or of the wrong kind."""


class UserKeyError(UserError, KeyError):
    """An unknown name: a registry type, an architecture, a slot."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''
