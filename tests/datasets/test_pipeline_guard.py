"""PipelineGuard: the pipeline in a forked child, whose death or silence is an error of the sample."""
import faulthandler
import multiprocessing
import os
import signal
import sys
import time

import pytest

from loki_video.datasets.pipeline_guard import (
    DecoderCrashed,
    DecoderKilled,
    DecodeTimeout,
    PipelineError,
    PipelineGuard,
)


def pipeline(data):
    if data['fault'] == 'abort':
        faulthandler.disable()  # pytest's, inherited: no dump of the child's modules in the test log
        os.abort()
    if data['fault'] == 'hang':
        time.sleep(600)
    if data['fault'] == 'config':
        raise KeyError('imgs')
    return dict(data, pid=os.getpid())


@pytest.mark.timeout(120)
def test_results_come_from_one_child_that_a_crash_or_a_hang_replaces():
    guard = PipelineGuard(timeout=1.0)
    first = guard(pipeline, dict(fault=None))
    assert first['pid'] != os.getpid() and guard(pipeline, dict(fault=None))['pid'] == first['pid']
    with pytest.raises(DecoderCrashed, match='the decoding process was killed by SIGABRT'):
        guard(pipeline, dict(fault='abort'))
    with pytest.raises(DecodeTimeout, match=r'decoding took longer than 1 s \(the decode_timeout\)'):
        guard(pipeline, dict(fault='hang'))   # not the 600 s the child sleeps: pytest-timeout would stop that
    assert guard(pipeline, dict(fault=None))['pid'] not in (first['pid'], os.getpid())
    guard.close()


def test_the_pipelines_own_errors_come_back_with_where_they_were_raised():
    guard = PipelineGuard(timeout=5.0)
    with pytest.raises(KeyError) as error:
        guard(pipeline, dict(fault='config'))
    assert "raise KeyError('imgs')" in error.value.__notes__[0]
    guard.close()


class TwoArgumentError(Exception):
    """Pickles, but unpickling calls ``TwoArgumentError(message)`` and fails with a TypeError."""

    def __init__(self, path, detail):
        super().__init__(f'{path}: {detail}')


def raise_two_argument_error(data):
    raise TwoArgumentError(data['filename'], 'bad header')


def kill_myself(data):
    os.kill(os.getpid(), signal.SIGKILL)


def test_an_error_that_does_not_unpickle_comes_back_as_a_pipeline_error_not_a_type_error():
    guard = PipelineGuard(timeout=5.0)
    with pytest.raises(PipelineError, match='TwoArgumentError: a.mp4: bad header'):
        guard(raise_two_argument_error, dict(filename='a.mp4'))
    guard.close()


def test_a_child_killed_from_outside_is_told_apart_from_a_crash():
    guard = PipelineGuard(timeout=5.0)
    with pytest.raises(DecoderKilled, match='killed by SIGKILL'):
        guard(kill_myself, {})
    guard.close()


def serve_a_hang(pids):
    guard = PipelineGuard(timeout=600)
    guard._start(pipeline)  # to learn the child's pid before the sample blocks this process
    pids.put(guard._pid)
    guard(pipeline, dict(fault='hang'))


def _alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as stat:
            return stat.read().split(') ')[1][0] != 'Z'
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='the parent-death signal is Linux only')
def test_a_hung_child_dies_with_the_process_that_forked_it():
    fork = multiprocessing.get_context('fork')
    pids = fork.Queue()
    parent = fork.Process(target=serve_a_hang, args=(pids, ))
    parent.start()
    child = pids.get(timeout=10)
    time.sleep(0.2)
    assert _alive(child)
    parent.kill()
    parent.join()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
