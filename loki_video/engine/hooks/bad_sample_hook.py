"""Hook logging the bad videos met by RobustVideoDataset in each run phase.

How the records reach the hook: the dataset runs inside DataLoader worker
processes, so counters kept on the dataset object would stay in the workers.
Instead every sample carries its own record in the data sample's metainfo:
a training sample lists the bad videos skipped to produce it
(``skipped_bad_samples``) and a test-mode placeholder carries
``invalid_sample``. The hook reads them from each batch in ``after_*_iter``,
which works with any number of workers (persistent or not); at the end of a
phase it gathers the records of all ranks and logs them.

Videos that crashed or hung their decoder (records with ``remember``) are
also appended, as soon as they are met, to ``<work_dir>/bad_videos.txt``
(``<path>\t<reason>`` lines, appended by every rank); before each phase the
hook gives that file's videos to the dataset
(``RobustVideoDataset.skip_known_bad``), so a resumed or restarted run skips
them at once.

Config::

    custom_hooks = [dict(type='BadSampleReportHook')]
"""
import os
import os.path as osp
from logging import INFO, WARNING
from typing import Dict, List, Optional, Sequence

from mmaction.registry import HOOKS
from mmengine.dist import all_gather_object
from mmengine.hooks import Hook
from mmengine.runner import Runner

from loki_video.datasets.robust_video_dataset import INVALID_KEY, SKIPPED_KEY


def bad_samples_in_batch(data_batch: Optional[dict]) -> Dict[str, list]:
    """Bad-video records of a collated batch.

    Returns:
        ``{'skipped': [{'filename', 'reason'}, ...], 'invalid': [...]}``.
    """
    found = dict(skipped=[], invalid=[])
    if not isinstance(data_batch, dict):
        return found
    for data_sample in data_batch.get('data_samples') or []:
        found['skipped'].extend(data_sample.get(SKIPPED_KEY) or [])
        invalid = data_sample.get(INVALID_KEY)
        if invalid:
            found['invalid'].append(invalid)
    return found

EPOCH_TITLES = dict(val='Validation', test='Test')
REMEMBERED_FILE = 'bad_videos.txt'


def remembered_bad_videos(work_dir: str) -> Dict[str, str]:
    """``{filename: reason}`` of ``<work_dir>/bad_videos.txt`` ({} when there is none)."""
    path = osp.join(work_dir, REMEMBERED_FILE)
    if not osp.isfile(path):
        return {}
    with open(path) as lines:
        return dict(line.rstrip('\n').split('\t', 1) for line in lines if '\t' in line)


def remember_bad_videos(work_dir: str, records: List[dict]) -> None:
    """Append ``records`` (``{'filename', 'reason'}``) to ``<work_dir>/bad_videos.txt``, one short
    ``O_APPEND`` write per line, so that ranks appending at once do not mix their lines."""
    os.makedirs(work_dir, exist_ok=True)
    descriptor = os.open(osp.join(work_dir, REMEMBERED_FILE), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        for record in records:
            reason = ' '.join(record['reason'].split())
            os.write(descriptor, f'{record["filename"]}\t{reason}\n'.encode())
    finally:
        os.close(descriptor)


@HOOKS.register_module()
class BadSampleReportHook(Hook):
    """Log how many bad videos each train epoch skipped and val/test flagged: one line a phase, and each
    bad file with its reason once in a run, when it is first met.

    Args:
        max_listed (int): At most this many paths are listed per report. Defaults to 20.
    """

    priority = 'LOW'

    def __init__(self, max_listed: int = 20) -> None:
        self.max_listed = max_listed
        self._records: Dict[str, list] = dict(train=[], val=[], test=[])
        self._listed = set()  # files listed once already in this run
        self._remembered = set()  # files in the work dir's bad_videos.txt

    def _report(self, runner, phase: str, title: str) -> None:
        """Gather the phase's records from all ranks, log them, reset."""
        gathered = all_gather_object(self._records[phase])
        self._records[phase] = []
        reasons = {}
        events = 0
        for records in gathered:
            for record in records:
                reasons[record['filename']] = record['reason']
                events += 1
        action = 'skipped' if phase == 'train' else 'flagged invalid'
        if not reasons:
            runner.logger.log(INFO, f'{title}: no bad videos')
            return
        summary = f'{title}: {len(reasons)} bad videos {action} ({events} times)'
        new = sorted((f, r) for f, r in reasons.items() if f not in self._listed)
        if not new:
            runner.logger.log(WARNING, summary + ', each listed before in this run')
            return
        self._listed.update(f for f, _ in new)
        listed = new[:self.max_listed]
        lines = [f'  {filename}: {reason}' for filename, reason in listed]
        if len(new) > len(listed):
            lines.append(f'  ... and {len(new) - len(listed)} more')
        runner.logger.log(
            WARNING, f'{summary}; {len(new)} new, run tools/data/check_videos.py to clean the list:\n'
            + '\n'.join(lines))

    def _collect(self, runner: Runner, data_batch: Optional[dict], mode: str) -> None:
        found = bad_samples_in_batch(data_batch)
        self._records[mode].extend(found['skipped'] + found['invalid'])
        new = [r for r in found['skipped'] + found['invalid']
               if r.get('remember') and r['filename'] not in self._remembered]
        if new:
            remember_bad_videos(runner.work_dir, new)
            self._remembered.update(r['filename'] for r in new)

    def _skip_remembered(self, runner: Runner, mode: str) -> None:
        """The loader's dataset skips the videos remembered in the work dir."""
        remembered = remembered_bad_videos(runner.work_dir)
        self._remembered.update(remembered)
        dataset = getattr(runner, f'{mode}_loop').dataloader.dataset
        if remembered and hasattr(dataset, 'skip_known_bad'):
            dataset.skip_known_bad(remembered)

    def after_train_iter(self, runner: Runner, batch_idx: int, data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        self._collect(runner, data_batch, 'train')

    def after_val_iter(self, runner: Runner, batch_idx: int, data_batch: Optional[dict] = None,
                       outputs: Optional[Sequence] = None) -> None:
        self._collect(runner, data_batch, 'val')

    def after_test_iter(self, runner: Runner, batch_idx: int, data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence] = None) -> None:
        self._collect(runner, data_batch, 'test')

    def before_train_epoch(self, runner: Runner) -> None:
        self._skip_remembered(runner, 'train')

    def before_val_epoch(self, runner: Runner) -> None:
        self._skip_remembered(runner, 'val')

    def before_test_epoch(self, runner: Runner) -> None:
        self._skip_remembered(runner, 'test')

    def after_train_epoch(self, runner: Runner) -> None:
        self._report(runner, 'train', f'Train epoch {runner.epoch + 1}')

    def after_val_epoch(self, runner: Runner, metrics: Optional[dict] = None) -> None:
        self._report(runner, 'val', EPOCH_TITLES['val'])

    def after_test_epoch(self, runner: Runner, metrics: Optional[dict] = None) -> None:
        self._report(runner, 'test', EPOCH_TITLES['test'])
