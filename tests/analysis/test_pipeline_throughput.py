"""tools/analysis/pipeline_throughput.py's measurement runs both ways on a real video."""
from loki_video.analysis.pipeline_throughput import pipeline_throughput

from tiny_runner import TINY_CONFIG


def test_both_ways_decode_the_same_video_and_report_their_rates(real_video):
    result = pipeline_throughput(str(TINY_CONFIG), [real_video], rounds=1, passes=1)
    assert set(result) == {'unguarded', 'guarded', 'ratio'}
    assert result['unguarded'] > 0 and result['guarded'] > 0
    assert result['ratio'] == result['guarded'] / result['unguarded']
