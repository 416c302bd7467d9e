"""PipelineGuard: the pipeline in a forked child, whose death or silence is an error of the sample."""
import faulthandler
import os
import time

import pytest

from loki_video.datasets.pipeline_guard import DecoderCrashed, DecodeTimeout, PipelineGuard


def pipeline(data):
    if data['fault'] == 'abort':
        faulthandler.disable()  # pytest's, inherited: no dump of the child's modules in the test log
        os.abort()
    if data['fault'] == 'hang':
        time.sleep(600)
    if data['fault'] == 'config':
        raise KeyError('imgs')
    return dict(data, pid=os.getpid())


def test_results_come_from_one_child_that_a_crash_or_a_hang_replaces():
    guard = PipelineGuard(timeout=1.0)
    first = guard(pipeline, dict(fault=None))
    assert first['pid'] != os.getpid() and guard(pipeline, dict(fault=None))['pid'] == first['pid']
    with pytest.raises(DecoderCrashed, match='the decoding process was killed by SIGABRT'):
        guard(pipeline, dict(fault='abort'))
    started = time.monotonic()
    with pytest.raises(DecodeTimeout, match=r'decoding took longer than 1 s \(the decode_timeout\)'):
        guard(pipeline, dict(fault='hang'))
    assert time.monotonic() - started < 5
    assert guard(pipeline, dict(fault=None))['pid'] not in (first['pid'], os.getpid())
    guard.close()


def test_the_pipelines_own_errors_come_back_with_where_they_were_raised():
    guard = PipelineGuard(timeout=5.0)
    with pytest.raises(KeyError) as error:
        guard(pipeline, dict(fault='config'))
    assert "raise KeyError('imgs')" in error.value.__notes__[0]
    guard.close()
