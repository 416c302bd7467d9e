"""BadSampleReportHook: counts and paths of the bad videos of each epoch."""
from mmaction.structures import ActionDataSample
from mmengine.logging import MMLogger

from loki_video.datasets.robust_video_dataset import INVALID_KEY, SKIPPED_KEY
from loki_video.engine.hooks.bad_sample_hook import BadSampleReportHook


class _FakeRunner:
    epoch = 0

    def __init__(self, logger):
        self.logger = logger


def test_hook_reports_counts_and_paths(captured_log):
    logger = MMLogger.get_current_instance()
    hook = BadSampleReportHook()
    runner = _FakeRunner(logger)
    skipped = [dict(filename='a.mp4', reason='missing file')]
    sample = ActionDataSample()
    sample.set_metainfo({SKIPPED_KEY: skipped})
    hook.after_train_iter(runner, 0, dict(data_samples=[sample, sample]))
    hook.after_train_epoch(runner)
    assert any('Train epoch 1: 1 bad videos skipped (2 times)' in m
               and 'a.mp4: missing file' in m for m in captured_log)
    hook.after_train_epoch(runner)
    assert captured_log[-1] == 'Train epoch 1: no bad videos'

    invalid = ActionDataSample()
    invalid.set_metainfo(
        {INVALID_KEY: dict(filename='b.mp4', reason='zero-byte file')})
    hook.after_test_iter(runner, 0, dict(data_samples=[invalid]))
    hook.after_test_epoch(runner)
    assert any('Test: 1 bad videos flagged invalid' in m
               and 'b.mp4' in m for m in captured_log)


def test_each_bad_file_is_listed_once_a_run_with_a_count_every_epoch(captured_log):
    hook = BadSampleReportHook()
    runner = _FakeRunner(MMLogger.get_current_instance())
    sample = ActionDataSample()
    sample.set_metainfo({SKIPPED_KEY: [dict(filename='a.mp4', reason='unreadable: RuntimeError: truncated')]})
    for epoch in range(3):
        runner.epoch = epoch
        hook.after_train_iter(runner, 0, dict(data_samples=[sample]))
        hook.after_train_epoch(runner)
    reports = [m for m in captured_log if m.startswith('Train epoch')]
    assert reports[0].splitlines() == [
        'Train epoch 1: 1 bad videos skipped (1 times); 1 new, run tools/data/check_videos.py to clean the list:',
        '  a.mp4: unreadable: RuntimeError: truncated']
    assert reports[1:] == [f'Train epoch {e}: 1 bad videos skipped (1 times), each listed before in this run'
                           for e in (2, 3)]
