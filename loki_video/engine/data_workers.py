"""DataLoader workers from the cores a training process has: ``num_workers='auto'`` and ``pin_memory='auto'``.

Decoding is the CPU's work, so each GPU's process gets the cores of its node shared among the node's
processes (``LOCAL_WORLD_SIZE``, set by torchrun), less the one its own loop uses: 16 cores and 8 GPUs
give 1 worker a GPU, 96 cores and 8 GPUs 11. ``docs/data.md`` tells how many clips/s a core decodes, and
``tools/analysis/pipeline_throughput.py --gpu-clips-per-s`` how many cores a GPU needs. Pinned memory
is used where a GPU trains. A number or a boolean in the config (or ``--cfg-options
train_dataloader.num_workers=6``) is used as it is.
"""
import os
from typing import Optional

import torch

AUTO = 'auto'


def cores_of_this_process() -> int:
    """Cores this process may run on (its CPU affinity, which slurm and containers narrow)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count() or 1


def workers_per_process(cores: Optional[int] = None, processes: Optional[int] = None) -> int:
    """DataLoader workers of one process: its share of ``cores`` among ``processes`` on the node, less one."""
    cores = cores_of_this_process() if cores is None else cores
    processes = int(os.environ.get('LOCAL_WORLD_SIZE', 1)) if processes is None else processes
    return max(1, cores // max(1, processes) - 1)


def resolve_auto_workers(dataloader: dict) -> dict:
    """A copy of a dataloader config with ``'auto'`` ``num_workers`` and ``pin_memory`` resolved, and no
    persistent workers where there are none."""
    dataloader = dict(dataloader)
    if dataloader.get('num_workers') == AUTO:
        dataloader['num_workers'] = workers_per_process()
    if dataloader.get('pin_memory') == AUTO:
        dataloader['pin_memory'] = torch.cuda.is_available()
    if not dataloader.get('num_workers'):
        dataloader['persistent_workers'] = False   # torch refuses persistent workers without workers
    return dataloader
