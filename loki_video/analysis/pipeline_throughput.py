"""Clips per second of a config's training pipeline with and without the decoder guard.

The guard (:class:`~loki_video.datasets.pipeline_guard.PipelineGuard`, ``decode_timeout``) runs
each sample's pipeline in a child process and sends the clip back through a pipe. This measures
what that costs: the same videos through the same pipeline (the config's
``train_dataloader.dataset.pipeline``), in one process as in one DataLoader worker, guarded and
unguarded in alternating rounds so that the machine's noise falls on both alike.
"""
import os.path as osp
import tempfile
import time
from typing import Dict, Sequence

import numpy as np

from loki_video.config import load_config


def pipeline_throughput(config: str, videos: Sequence[str], rounds: int = 5, passes: int = 2,
                        decode_timeout: float = 30.) -> Dict[str, float]:
    """Median clips per second over ``rounds`` of ``passes`` over ``videos``, each way.

    Args:
        config (str): a video config; its training pipeline is measured.
        videos (Sequence[str]): video files (real clips: decoding is most of the cost).
        rounds (int): alternating guarded/unguarded rounds. Defaults to 5.
        passes (int): passes over the videos in a round. Defaults to 2.
        decode_timeout (float): the guard's timeout. Defaults to 30.

    Returns:
        ``{'unguarded', 'guarded'}`` clips per second and ``'ratio'`` (guarded / unguarded).
    """
    from loki_video.datasets import RobustVideoDataset
    cfg = load_config(config)
    pipeline = cfg.train_dataloader.dataset.pipeline
    with tempfile.TemporaryDirectory() as folder:
        annotations = osp.join(folder, 'videos.txt')
        with open(annotations, 'w') as lines:
            lines.writelines(f'{osp.abspath(video)} 0\n' for video in videos)
        datasets = {name: RobustVideoDataset(annotations, pipeline, decode_timeout=timeout)
                    for name, timeout in (('unguarded', None), ('guarded', decode_timeout))}
        rates = {name: [] for name in datasets}
        for round_index in range(rounds + 1):  # round 0 warms up (the guard's child, decoder libraries)
            order = list(datasets) if round_index % 2 else list(datasets)[::-1]
            for name in order:
                dataset = datasets[name]
                started = time.perf_counter()
                for _ in range(passes):
                    for index in range(len(dataset)):
                        dataset[index]
                if round_index:
                    rates[name].append(passes * len(dataset) / (time.perf_counter() - started))
        datasets['guarded'].guard.close()
    result = {name: float(np.median(values)) for name, values in rates.items()}
    result['ratio'] = result['guarded'] / result['unguarded']
    return result
