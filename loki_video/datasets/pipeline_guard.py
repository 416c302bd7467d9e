"""Running a dataset's pipeline where a crashing or hanging decoder cannot take the run with it.

A segmentation fault inside FFmpeg or decord kills the process that decodes, a DataLoader worker
and with it the run; a decoder stuck on a file freezes it. :class:`PipelineGuard` runs the
pipeline in a child process forked from the loading process (a DataLoader worker, or the main
process with ``num_workers=0``) and kept for the following samples. The sample goes to it and the
result comes back through a pipe; if the child dies, :class:`DecoderCrashed` is raised
(:class:`DecoderKilled` for a SIGKILL from outside, e.g. the kernel's OOM killer), if no result
comes within ``timeout`` seconds the child is killed and :class:`DecodeTimeout` is raised, and the
next sample starts a new child. The child is forked again whenever the pipeline object changes
(hooks wrap it, e.g. ``EpochSeedHook``), so it always runs the current one. An error the pipeline
raises comes back as itself, or, where it cannot be sent back whole (an exception that does not
pickle or unpickle), as :class:`PipelineError` with its type and message. On Linux the child dies
with the process that forked it (the parent-death signal), so a killed worker leaves no hung child.

``os.fork`` is POSIX only: :data:`AVAILABLE` says whether the guard can run here.
"""
import ctypes
import ctypes.util
import os
import pickle
import signal
import sys
import traceback
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from typing import Any, Callable, Optional

import torch


class DecoderCrashed(RuntimeError):
    """The process running the pipeline died (e.g. a segmentation fault in a decoder)."""


class DecoderKilled(DecoderCrashed):
    """The process running the pipeline was killed by SIGKILL from outside (the OOM killer, an operator):
    not a sign of a bad video."""


class DecodeTimeout(TimeoutError):
    """The pipeline gave no result within the guard's timeout."""


class PipelineError(RuntimeError):
    """An error of the pipeline that could not come back from the child as itself."""


AVAILABLE = hasattr(os, 'fork')
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent: int) -> None:
    """Linux: have the kernel SIGKILL this process when its parent dies; elsewhere nothing."""
    if not sys.platform.startswith('linux'):
        return
    libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6', use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(0)


def _error_reply(error: Exception, where: str) -> bytes:
    """``('error', error, where)`` pickled, with ``error`` replaced by a :class:`PipelineError` where it
    does not survive pickling and unpickling."""
    try:
        reply = pickle.dumps(('error', error, where), pickle.HIGHEST_PROTOCOL)
        pickle.loads(reply)
        return reply
    except Exception:  # noqa: BLE001  (any failure of either direction)
        return pickle.dumps(('error', PipelineError(f'{type(error).__name__}: {error}'), where))


def _serve(pipeline: Callable[[dict], Any], connection: Connection) -> None:
    """The child's loop: a sample in, ``('ok', result)`` or ``('error', exception)`` out, until EOF."""
    while True:
        try:
            data = connection.recv()
        except (EOFError, OSError):
            return
        try:
            reply = pickle.dumps(('ok', pipeline(data), None), pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # noqa: BLE001  (the parent re-raises it as the pipeline's own)
            reply = _error_reply(error, traceback.format_exc())
        connection.send_bytes(reply)


class PipelineGuard:
    """Run a pipeline in a forked child with a timeout (module docstring).

    Args:
        timeout (float): seconds a sample may take before its child is killed.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._pid: Optional[int] = None
        self._owner: Optional[int] = None  # the process that forked the child
        self._pipeline: Optional[Callable] = None
        self._connection: Optional[Connection] = None

    def __getstate__(self) -> dict:
        return dict(timeout=self.timeout)  # a child belongs to the process that forked it

    def __setstate__(self, state: dict) -> None:
        self.__init__(state['timeout'])

    def _start(self, pipeline: Callable[[dict], Any]) -> None:
        self.close()
        parent_end, child_end = Pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: serve until the parent closes its end, then leave without cleanup
            try:
                _die_with_parent(parent)
                parent_end.close()
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                torch.set_num_threads(1)  # as in DataLoader workers: a forked OpenMP pool must not be used
                _serve(pipeline, child_end)
            finally:
                os._exit(0)
        child_end.close()
        self._pid, self._owner, self._pipeline, self._connection = pid, os.getpid(), pipeline, parent_end

    def close(self) -> None:
        """Stop this process's child, if any."""
        if self._pid is not None and self._owner == os.getpid():
            self._connection.close()
            try:
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        self._pid = self._owner = self._pipeline = self._connection = None

    def _crash(self) -> DecoderCrashed:
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        self.close()
        if os.WIFSIGNALED(status):
            signal_name = signal.Signals(os.WTERMSIG(status)).name
            error = DecoderKilled if os.WTERMSIG(status) == signal.SIGKILL else DecoderCrashed
            return error(f'the decoding process was killed by {signal_name}')
        return DecoderCrashed(f'the decoding process exited with status {os.WEXITSTATUS(status)}')

    def __call__(self, pipeline: Callable[[dict], Any], data: dict) -> Any:
        """``pipeline(data)``, run in the child.

        Raises:
            DecoderCrashed: the child died (DecoderKilled: by SIGKILL). DecodeTimeout: no result within
            ``timeout`` seconds. Whatever ``pipeline`` raised, or PipelineError where that cannot come back.
        """
        if self._pid is None or self._owner != os.getpid() or self._pipeline is not pipeline:
            self._start(pipeline)
        try:
            self._connection.send(data)
            ready = self._connection.poll(self.timeout)
            reply = self._connection.recv_bytes() if ready else None
        except (EOFError, OSError):
            raise self._crash() from None
        if reply is None:
            self.close()
            raise DecodeTimeout(f'decoding took longer than {self.timeout:g} s (the decode_timeout)')
        try:
            status, payload, where = pickle.loads(reply)
        except Exception as error:  # noqa: BLE001  (a result that does not unpickle here is the sample's error)
            raise PipelineError(f"the pipeline's result could not be read back: {type(error).__name__}: {error}"
                                ) from None
        if status == 'error':
            payload.add_note(f'raised in the decoding process:\n{where}')
            raise payload
        return payload
