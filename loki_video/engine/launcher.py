"""Distributed setup for GPU nodes (NCCL, mmengine's own path) and CPU-only machines (gloo).

mmengine's ``init_dist`` calls ``torch.cuda.set_device`` for every launcher,
so on a machine without CUDA ``torchrun``/``srun``/``mpirun`` jobs die before
training starts, and its default DDP wrapper pins ``device_ids=[LOCAL_RANK]``.
When CUDA is unavailable, :func:`setup_launcher` initialises the process
group with gloo from the launcher's environment variables and configures a
CPU DDP wrapper; the Runner then skips ``init_dist`` because the process
group already exists. Under torchrun, on GPUs as on CPUs, the process group
is initialised on torchrun's store under a prefix per attempt
(:func:`torchrun_attempt_rendezvous`), so workers restarted by ``--max-restarts``
can meet again.
"""
import argparse
import datetime
import os
import subprocess
from typing import Dict, Mapping, Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from torch import distributed as torch_dist
from torch.distributed.constants import default_pg_timeout

from loki_video.engine.worker_generation import agree_on_generation
from loki_video.user_error import UserKeyError, UserValueError

LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')
DEFAULT_MASTER_PORT = '29500'


def parse_run_args(parser: argparse.ArgumentParser, cfg_options_example: str) -> argparse.Namespace:
    """Add the options tools/train.py and tools/test.py share (``--cfg-options``, ``--launcher``,
    ``--local-rank``, which ``torch.distributed.launch`` passes) to the tool's ``parser``, parse the
    command line and export ``LOCAL_RANK``; returns the arguments."""
    from loki_video.config import add_cfg_options
    add_cfg_options(parser, cfg_options_example)
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def _first_slurm_host(node_list):
    """The first host name of a SLURM node list such as ``node[01-04]``."""
    hosts = subprocess.run(['scontrol', 'show', 'hostnames', node_list], capture_output=True,
                           text=True, check=True).stdout.split()
    return hosts[0]


def distributed_env(launcher: str, environ: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """``torch.distributed`` environment variables of this process, from the launcher's.

    Args:
        launcher (str): 'pytorch' (torchrun already sets them), 'slurm' (from
            ``SLURM_PROCID``, ``SLURM_NTASKS``, ``SLURM_LOCALID``,
            ``SLURM_NODELIST``) or 'mpi' (from ``OMPI_COMM_WORLD_*``; needs
            ``MASTER_ADDR``).
        environ (Mapping[str, str], optional): the variables to read (default ``os.environ``).

    Returns:
        dict with ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and
        ``MASTER_PORT`` (strings), as ``env://`` initialisation reads them.
    """
    environ = os.environ if environ is None else environ
    if launcher == 'pytorch':
        names = ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT')
        missing = [n for n in names if n not in environ]
        if missing:
            raise UserKeyError(f'--launcher pytorch: {missing} not set; start the script with torchrun '
                               '(tools/dist_train.sh, tools/dist_test.sh)')
        return {n: environ[n] for n in names}
    if launcher == 'slurm':
        master_addr = environ.get('MASTER_ADDR') or _first_slurm_host(environ['SLURM_NODELIST'])
        return dict(RANK=environ['SLURM_PROCID'], WORLD_SIZE=environ['SLURM_NTASKS'],
                    LOCAL_RANK=environ.get('SLURM_LOCALID', '0'), MASTER_ADDR=master_addr,
                    MASTER_PORT=environ.get('MASTER_PORT', DEFAULT_MASTER_PORT))
    if launcher == 'mpi':
        if 'MASTER_ADDR' not in environ:
            raise UserKeyError('--launcher mpi: set MASTER_ADDR to the address of the rank-0 host')
        return dict(RANK=environ['OMPI_COMM_WORLD_RANK'], WORLD_SIZE=environ['OMPI_COMM_WORLD_SIZE'],
                    LOCAL_RANK=environ['OMPI_COMM_WORLD_LOCAL_RANK'], MASTER_ADDR=environ['MASTER_ADDR'],
                    MASTER_PORT=environ.get('MASTER_PORT', DEFAULT_MASTER_PORT))
    raise UserValueError(f'unknown launcher {launcher!r}; choose from {LAUNCHERS}')


def cpu_ddp_wrapper_cfg(cfg: Config) -> dict:
    """``model_wrapper_cfg`` for DDP on CPU: the configured wrapper (or mmengine's default) without devices."""
    wrapper = dict(cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False)))
    wrapper['device_ids'] = None
    return wrapper


def torchrun_attempt_rendezvous(timeout: datetime.timedelta) -> Optional[dict]:
    """``init_process_group``'s ``store``, ``rank`` and ``world_size``, and ``generation``: a client of torchrun's agent
    store whose keys are prefixed by this attempt's generation; None when torchrun hosts no store for
    its workers.

    torchrun keeps its agent's store across worker restarts (``--max-restarts``), and the process
    group's keys carry no attempt number: restarted workers would read the killed ones' addresses
    and fail to connect. A prefix per generation keeps them apart; the generation is agreed on through
    the store (:func:`~loki_video.engine.worker_generation.agree_on_generation`), not read from
    ``TORCHELASTIC_RESTART_COUNT``, which differs between nodes after a restart.
    """
    if os.environ.get('TORCHELASTIC_USE_AGENT_STORE') != 'True':
        return None
    rank, world_size = int(os.environ['RANK']), int(os.environ['WORLD_SIZE'])
    store = torch_dist.TCPStore(os.environ['MASTER_ADDR'], int(os.environ['MASTER_PORT']), world_size,
                                is_master=False, timeout=timeout)
    generation = agree_on_generation(store, rank, world_size, timeout)
    return dict(store=torch_dist.PrefixStore(f'loki_video/attempt_{generation}', store), rank=rank,
                world_size=world_size, generation=generation)


def setup_launcher(cfg: Config, launcher: str) -> Optional[int]:
    """Record ``launcher`` in ``cfg`` and, without CUDA, start the gloo process group.

    Args:
        cfg (Config): the run config; on CPU its ``env_cfg.dist_cfg.backend`` becomes
            'gloo' and ``model_wrapper_cfg`` gets ``device_ids=None``.
        launcher (str): one of ``LAUNCHERS``.

    Returns:
        Optional[int]: under torchrun with its agent's store, the workers' generation (0 in the first attempt,
        the same on every rank; a restarted group, on any node, has a higher one); else None.
    """
    if launcher not in LAUNCHERS:
        raise UserValueError(f'unknown launcher {launcher!r}; choose from {LAUNCHERS}')
    cfg.launcher = launcher
    if launcher == 'none':
        return None
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    timeout = dist_cfg.get('timeout')
    kwargs = dict(timeout=datetime.timedelta(seconds=timeout)) if timeout is not None else {}
    rendezvous = None
    if launcher == 'pytorch':
        rendezvous = torchrun_attempt_rendezvous(kwargs.get('timeout', default_pg_timeout))
    generation = rendezvous.pop('generation') if rendezvous else None
    if torch.cuda.is_available():
        if rendezvous is not None and not torch_dist.is_initialized():  # else mmengine's init_dist, as always
            torch.cuda.set_device(int(os.environ['LOCAL_RANK']))
            torch_dist.init_process_group(backend=dist_cfg.get('backend', 'nccl'), **rendezvous, **kwargs)
        return generation
    os.environ.update(distributed_env(launcher))
    dist_cfg['backend'] = 'gloo'
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo', **(rendezvous or dict(init_method='env://')), **kwargs)
    cfg.model_wrapper_cfg = cpu_ddp_wrapper_cfg(cfg)
    print_log(f'CUDA is not available: rank {os.environ["RANK"]} of {os.environ["WORLD_SIZE"]} '
              'runs on CPU with the gloo backend', logger='current')
    return generation


def close_launcher() -> None:
    """Leave the process group once every rank is done.

    Without it, a gloo process group can abort at interpreter exit
    ("terminate called without an active exception") while another rank is
    still finishing, which fails the whole job.
    """
    if torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
