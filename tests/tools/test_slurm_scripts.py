"""tools/slurm_train.sh and slurm_test.sh build the srun command lines of mmaction2's scripts."""
import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake_srun(tmp_path):
    """An ``srun`` on PATH that writes its arguments, one per line, instead of submitting a job."""
    script = tmp_path / 'srun'
    script.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > {tmp_path}/srun_args\n')
    script.chmod(0o755)
    return lambda: (tmp_path / 'srun_args').read_text().splitlines()


def run_script(name, *args, **env):
    srun_dir = env.pop('srun_dir')
    subprocess.run(['bash', f'tools/{name}', *args], cwd=ROOT, check=True,
                   env=dict(os.environ, PATH=f'{srun_dir}:{os.environ["PATH"]}', **env))


def test_slurm_train_runs_one_task_per_gpu(fake_srun, tmp_path):
    run_script('slurm_train.sh', 'gpu_partition', 'loki', 'configs/loki_k400_8x1x1.py', 'work_dirs/loki',
               '--seed', '1', srun_dir=tmp_path, GPUS='16', PYTHON='python3')
    args = fake_srun()
    assert args[:4] == ['-p', 'gpu_partition', '--job-name=loki', '--gres=gpu:8']
    assert {'--ntasks=16', '--ntasks-per-node=8', '--cpus-per-task=5', '--kill-on-bad-exit=1'} <= set(args)
    assert args[-8:] == ['python3', '-u', 'tools/train.py', 'configs/loki_k400_8x1x1.py',
                         '--work-dir=work_dirs/loki', '--launcher=slurm', '--seed', '1']


def test_slurm_test_on_a_cpu_partition_requests_no_gpus(fake_srun, tmp_path):
    run_script('slurm_test.sh', 'cpu_partition', 'loki_test', 'configs/loki_k400_8x1x1.py', 'epoch_30.pth',
               '--views', '3x1', srun_dir=tmp_path, GRES='', GPUS='4', GPUS_PER_NODE='2', PYTHON='python')
    args = fake_srun()
    assert not any(a.startswith('--gres') for a in args)
    assert {'--ntasks=4', '--ntasks-per-node=2'} <= set(args)
    assert args[-8:] == ['python', '-u', 'tools/test.py', 'configs/loki_k400_8x1x1.py', 'epoch_30.pth',
                         '--launcher=slurm', '--views', '3x1']
