"""Faults a cluster causes, injected for real into tools/train.py runs of the tiny config
(tests/tools/fault_injection.py): each test names the row of docs/reliability.md it measures."""
import os
import sys
from pathlib import Path

import torch

from loki_video.checkpoints.safe_read import safe_torch_load

from tiny_runner import run_tool, state_dict_of

FAULT_CONFIG = """_base_ = ['{base}']
custom_imports = dict(imports=['loki_video.models', 'loki_video.engine', 'fault_injection'],
                      allow_failed_imports=False)
{body}
"""
NON_FINITE_SECOND_VISIT = """train_dataloader = dict(dataset=dict(pipeline=_base_.train_pipeline[:-1] + [
    dict(type='NonFiniteClip', files=['{file}'], from_visit=2), _base_.train_pipeline[-1]]))"""


def fault_env():
    """The environment of a tool run that loads tests/tools/fault_injection.py."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), os.environ.get('PYTHONPATH', '')]))


def fault_config(workspace, name, body):
    root, config, _ = workspace
    path = root / f'{name}.py'
    path.write_text(FAULT_CONFIG.format(base=config, body=body))
    return path


def a_training_video(workspace):
    root = workspace[0]
    return (root / 'data' / 'train_list.txt').read_text().split()[0]


def test_full_disk_during_a_save_stops_with_the_file_the_error_and_the_free_space(trained, workspace):
    """Row 'disk full during a save': after epoch 1 is saved the process may write no file larger than
    half a checkpoint (RLIMIT_FSIZE), so saving epoch 2 fails in the kernel."""
    work_dir = workspace[0] / 'disk_full'
    config = fault_config(workspace, 'disk_full', "custom_hooks = [dict(type='FileSizeLimitHook', epoch=0)]")
    result = run_tool(sys.executable, 'tools/train.py', str(config), '--work-dir', str(work_dir), check=False,
                      env=fault_env())
    assert result.returncode == 1 and 'Traceback' not in result.stdout
    last_line = result.stdout.strip().splitlines()[-1]
    assert last_line.startswith(f'train.py: could not write {work_dir}/epoch_2.pth: File too large (')
    assert 'GiB free on' in last_line and last_line.endswith('nothing was written')
    assert sorted(p.name for p in work_dir.iterdir() if p.suffix != '.py' and p.is_file()) == [
        'epoch_1.pth', 'last_checkpoint']  # no temporary file left
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'epoch_1.pth')
    expected, kept = state_dict_of(trained / 'epoch_1.pth'), state_dict_of(work_dir / 'epoch_1.pth')
    assert all(torch.equal(expected[key], kept[key]) for key in expected)


def test_a_non_finite_loss_stops_the_run_naming_iteration_terms_and_last_checkpoint(workspace):
    """Row 'NaN loss': one training clip becomes NaN from its second visit (epoch 2)."""
    work_dir = workspace[0] / 'nan_stop'
    body = NON_FINITE_SECOND_VISIT.format(file=a_training_video(workspace))
    result = run_tool(sys.executable, 'tools/train.py', str(fault_config(workspace, 'nan_stop', body)),
                      '--work-dir', str(work_dir), '--no-validate', check=False, env=fault_env())
    assert result.returncode == 1 and 'Traceback' not in result.stdout
    message = result.stdout.strip().splitlines()[-1]
    assert message.startswith('train.py: iteration ') and '(epoch 2, batch ' in message
    assert 'non-finite loss nan (loss=nan, ' in message and 'loss_cls=nan' in message
    assert f'the last good checkpoint is {work_dir}/epoch_1.pth: resume with tools/train.py CONFIG --resume' in message
    assert not (work_dir / 'epoch_2.pth').exists()


def test_skip_mode_skips_a_non_finite_update_counts_it_and_finishes(workspace):
    """Row 'NaN loss, action=skip': the update is skipped on the NaN iteration only; weights stay finite."""
    work_dir = workspace[0] / 'nan_skip'
    body = NON_FINITE_SECOND_VISIT.format(file=a_training_video(workspace))
    result = run_tool(sys.executable, 'tools/train.py', str(fault_config(workspace, 'nan_skip', body)),
                      '--work-dir', str(work_dir), '--no-validate', '--cfg-options',
                      'default_hooks.non_finite.action=skip', env=fault_env())
    assert result.stdout.count('update skipped (1 in a row, 1 in this run)') == 1
    state = safe_torch_load(str(work_dir / 'epoch_2.pth'))['state_dict']
    assert all(torch.isfinite(value).all() for value in state.values() if value.is_floating_point())
