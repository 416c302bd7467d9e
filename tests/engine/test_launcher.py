"""Distributed setup on a CPU-only machine: environment of each launcher, gloo process group, DDP wrapper."""
import pytest
import torch
from mmengine.config import Config
from torch import distributed as torch_dist

from loki_video.engine import launcher

ENV_KEYS = ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT')


def test_slurm_and_mpi_variables_map_to_torch_distributed_ones():
    slurm = dict(SLURM_PROCID='5', SLURM_NTASKS='8', SLURM_LOCALID='1', SLURM_NODELIST='node[1-2]',
                 MASTER_ADDR='node1')
    assert launcher.distributed_env('slurm', slurm) == dict(
        RANK='5', WORLD_SIZE='8', LOCAL_RANK='1', MASTER_ADDR='node1', MASTER_PORT='29500')
    mpi = dict(OMPI_COMM_WORLD_RANK='3', OMPI_COMM_WORLD_SIZE='4', OMPI_COMM_WORLD_LOCAL_RANK='0',
               MASTER_ADDR='10.0.0.1', MASTER_PORT='1234')
    assert launcher.distributed_env('mpi', mpi) == dict(
        RANK='3', WORLD_SIZE='4', LOCAL_RANK='0', MASTER_ADDR='10.0.0.1', MASTER_PORT='1234')
    with pytest.raises(KeyError, match='torchrun'):
        launcher.distributed_env('pytorch', {})


def test_cpu_launch_starts_gloo_and_wraps_ddp_without_devices(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    env = dict(RANK='0', WORLD_SIZE='1', LOCAL_RANK='0', MASTER_ADDR='127.0.0.1', MASTER_PORT='29431')
    for key, value in env.items():  # restored after the test
        monkeypatch.setenv(key, value)
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    launcher.setup_launcher(cfg, 'pytorch')
    try:
        assert torch_dist.is_initialized() and torch_dist.get_backend() == 'gloo'
        assert cfg.env_cfg.dist_cfg.backend == 'gloo' and cfg.launcher == 'pytorch'
        assert cfg.model_wrapper_cfg == dict(type='MMDistributedDataParallel', broadcast_buffers=False,
                                             find_unused_parameters=False, device_ids=None)
    finally:
        launcher.close_launcher()
    assert not torch_dist.is_initialized()


def test_no_launcher_changes_nothing():
    cfg = Config(dict())
    launcher.setup_launcher(cfg, 'none')
    assert cfg.launcher == 'none' and 'model_wrapper_cfg' not in cfg and not torch_dist.is_initialized()
