"""Running a dataset's pipeline where a crashing or hanging decoder cannot take the run with it.

A segmentation fault inside FFmpeg or decord kills the process that decodes, a DataLoader worker
and with it the run; a decoder stuck on a file freezes it. :class:`PipelineGuard` runs the
pipeline in a child process forked from the loading process (a DataLoader worker, or the main
process with ``num_workers=0``) and kept for the following samples. The sample goes to it and the
result comes back through a pipe; if the child dies, :class:`DecoderCrashed` is raised, if no
result comes within ``timeout`` seconds the child is killed and :class:`DecodeTimeout` is raised,
and the next sample starts a new child. The child is forked again whenever the pipeline object
changes (hooks wrap it, e.g. ``EpochSeedHook``), so it always runs the current one.
"""
import os
import pickle
import signal
import traceback
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from typing import Any, Callable, Optional

import torch


class DecoderCrashed(RuntimeError):
    """The process running the pipeline died (e.g. a segmentation fault in a decoder)."""


class DecodeTimeout(TimeoutError):
    """The pipeline gave no result within the guard's timeout."""


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
            where = traceback.format_exc()
            try:
                reply = pickle.dumps(('error', error, where), pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001  (an exception that does not pickle)
                reply = pickle.dumps(('error', RuntimeError(f'{type(error).__name__}: {error}'), where))
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
        pid = os.fork()
        if pid == 0:  # the child: serve until the parent closes its end, then leave without cleanup
            parent_end.close()
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            torch.set_num_threads(1)  # as in DataLoader workers: a forked OpenMP pool must not be used
            try:
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

    def _crash_reason(self) -> str:
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        self.close()
        if os.WIFSIGNALED(status):
            return f'the decoding process was killed by {signal.Signals(os.WTERMSIG(status)).name}'
        return f'the decoding process exited with status {os.WEXITSTATUS(status)}'

    def __call__(self, pipeline: Callable[[dict], Any], data: dict) -> Any:
        """``pipeline(data)``, run in the child.

        Raises:
            DecoderCrashed: the child died. DecodeTimeout: no result within ``timeout`` seconds.
            Whatever ``pipeline`` raised.
        """
        if self._pid is None or self._owner != os.getpid() or self._pipeline is not pipeline:
            self._start(pipeline)
        try:
            self._connection.send(data)
            ready = self._connection.poll(self.timeout)
            reply = self._connection.recv_bytes() if ready else None
        except (EOFError, OSError):
            raise DecoderCrashed(self._crash_reason()) from None
        if reply is None:
            self.close()
            raise DecodeTimeout(f'decoding took longer than {self.timeout:g} s (the decode_timeout)')
        status, payload, where = pickle.loads(reply)
        if status == 'error':
            payload.add_note(f'raised in the decoding process:\n{where}')
            raise payload
        return payload
