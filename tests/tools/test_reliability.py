"""Faults a cluster causes, injected for real into tools/train.py runs of the tiny config
(tests/tools/fault_injection.py): each test names the row of docs/reliability.md it measures."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from loki_video.checkpoints.safe_read import safe_torch_load

from tiny_runner import ROOT, run_tool, state_dict_of

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)

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


def dist_train(workspace, work_dir, port, *options, nodes=((1, 0, 2),), config=None, env=None):
    """tools/dist_train.sh on the workspace config, 2 epochs without validation, a batch of 4 per process;
    ``nodes``: ``(NNODES, NODE_RANK, processes)`` of each torchrun started at once. Returns the outputs.

    One thread per process always: torchrun sets it for several processes per node only, and
    another thread count rounds matrix products differently."""
    base_env = dict(env or os.environ, PYTHON=sys.executable, MASTER_ADDR='127.0.0.1', PORT=str(port),
                    OMP_NUM_THREADS='1')
    processes = []
    for count, rank, per_node in nodes:
        command = ['bash', 'tools/dist_train.sh', str(config or workspace[1]), str(per_node), '--work-dir',
                   str(work_dir), '--no-validate', *options]
        processes.append(subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                          text=True, env=dict(base_env, NNODES=str(count), NODE_RANK=str(rank)),
                                          start_new_session=True))
    try:
        outputs = [process.communicate(timeout=240)[0] for process in processes]
    finally:  # torchrun and its workers too, should the run hang
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    for process, output in zip(processes, outputs):
        assert process.returncode == 0, output[-5000:]
    return outputs


def assert_same_weights(expected_path, actual_path):
    expected, actual = state_dict_of(expected_path), state_dict_of(actual_path)
    assert expected.keys() == actual.keys()
    assert all(torch.equal(expected[key], actual[key]) for key in expected)


@pytest.fixture(scope='module')
def two_processes(workspace):
    """Work dir of an uninterrupted run of 2 processes on one node (torchrun, gloo)."""
    work_dir = workspace[0] / 'dist_1x2'
    dist_train(workspace, work_dir, 29400 + os.getpid() % 500)
    return work_dir


def test_two_nodes_of_one_process_train_the_weights_of_one_node_of_two(workspace, two_processes):
    """Row 'two nodes': NNODES=2, NODE_RANK=0/1 on this machine, one process each."""
    work_dir = workspace[0] / 'dist_2x1'
    outputs = dist_train(workspace, work_dir, 29900 + os.getpid() % 500, nodes=((2, 0, 1), (2, 1, 1)))
    assert 'of 2 runs on CPU with the gloo backend' in outputs[0]
    assert_same_weights(two_processes / 'epoch_2.pth', work_dir / 'epoch_2.pth')


def test_a_rank_killed_mid_epoch_is_restarted_by_torchrun_and_ends_with_the_same_weights(workspace, two_processes):
    """Row 'a rank killed': rank 1 SIGKILLs itself after iteration 3 of 4 (epoch 2, batch 1) in the first
    attempt; MAX_RESTARTS=1 restarts both workers, which resume from the newest checkpoint."""
    work_dir = workspace[0] / 'dist_killed'
    config = fault_config(workspace, 'kill_rank', "custom_hooks = [dict(type='KillRankHook', rank=1, iteration=2)]")
    output, = dist_train(workspace, work_dir, 30400 + os.getpid() % 500, '--checkpoint-iters', '1', config=config,
                         env=dict(fault_env(), MAX_RESTARTS='1'))
    assert 'failed (exitcode: -9) local_rank: 1' in output, output[-5000:]
    assert 'Auto resumed from the latest checkpoint' in output and 'resumed epoch: 1, iter: ' in output
    assert_same_weights(two_processes / 'epoch_2.pth', work_dir / 'epoch_2.pth')


def test_two_nodes_meet_again_when_only_one_nodes_worker_is_killed(workspace, two_processes):
    """Two nodes of one process on 127.0.0.1; the worker of rank 1 SIGKILLs itself: only its node's agent counts
    a restart (TORCHELASTIC_RESTART_COUNT 1 there, 0 on the other node), yet both workers meet again in one
    generation agreed through the store, both resume, and the run ends with the uninterrupted run's weights."""
    work_dir = workspace[0] / 'dist_two_nodes_killed'
    config = fault_config(workspace, 'kill_rank_node',
                          "custom_hooks = [dict(type='KillRankHook', rank=1, iteration=2)]")
    outputs = dist_train(workspace, work_dir, 30900 + os.getpid() % 500, '--checkpoint-iters', '1', config=config,
                         nodes=((2, 0, 1), (2, 1, 1)), env=dict(fault_env(), MAX_RESTARTS='1'))
    assert sum('failed (exitcode: -9)' in output for output in outputs) == 1, outputs[0][-3000:]
    assert 'Auto resumed from the latest checkpoint' in ''.join(outputs)
    assert_same_weights(two_processes / 'epoch_2.pth', work_dir / 'epoch_2.pth')


def test_decoders_that_crash_or_hang_in_real_workers_are_skipped_remembered_and_not_met_again(workspace):
    """Rows 'decoder crash' and 'decoder hang': in 2 persistent DataLoader workers one training video
    aborts its process and another sleeps past decode_timeout=2 s; the resumed run's third epoch
    skips both at once."""
    root = workspace[0]
    crash, hang = (root / 'data' / 'train_list.txt').read_text().split()[0:4:2]
    work_dir = root / 'decoders'
    body = f"""train_dataloader = dict(num_workers=2, persistent_workers=True, dataset=dict(decode_timeout=2,
    pipeline=[dict(type='AbortOn', files=['{crash}']), dict(type='HangOn', files=['{hang}'])]
             + _base_.train_pipeline))"""
    config = fault_config(workspace, 'decoders', body)
    first = run_tool(sys.executable, 'tools/train.py', str(config), '--work-dir', str(work_dir), '--no-validate',
                     env=fault_env())
    assert f'{crash}: decoder crashed: the decoding process was killed by SIGABRT' in first.stdout
    assert f'{hang}: decoder hung: decoding took longer than 2 s (the decode_timeout)' in first.stdout
    remembered = (work_dir / 'bad_videos.txt').read_text().splitlines()
    assert sorted(line.split('\t')[0] for line in remembered) == sorted(str(root / 'data' / v) for v in (crash, hang))

    resumed = run_tool(sys.executable, 'tools/train.py', str(config), '--work-dir', str(work_dir), '--no-validate',
                       '--resume', '--cfg-options', 'train_cfg.max_epochs=3', env=fault_env())
    assert 'Train epoch 3: 2 bad videos skipped' in resumed.stdout
    assert resumed.stdout.count('(met before: not read again)') >= 2 and 'decoder hung' in resumed.stdout
    assert (work_dir / 'bad_videos.txt').read_text().splitlines() == remembered
    assert (work_dir / 'epoch_3.pth').exists()
