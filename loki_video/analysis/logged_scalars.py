"""The scalars mmengine logged for the runs of a work dir: the one reader of ``scalars.json``.

mmengine's ``LocalVisBackend`` writes ``WORK_DIR/<timestamp>/vis_data/scalars.json`` for every
run: one JSON object per line. Training lines hold ``iter``, ``epoch``, ``step`` (= iter),
``lr``, ``loss``, ...; validation lines hold the metrics (``acc/top1`` for video,
``accuracy/top1`` for image configs) and ``step``.
"""
import glob
import json
import os.path as osp
from typing import List

from loki_video.user_error import UserFileError


def scalar_files(work_dir: str) -> List[str]:
    """``scalars.json`` of the runs in ``work_dir``, oldest first.

    Raises:
        FileNotFoundError: naming the path looked for when there is none.
    """
    paths = sorted(glob.glob(osp.join(str(work_dir), '*', 'vis_data', 'scalars.json')))
    if not paths:
        raise UserFileError(f'no {osp.join(str(work_dir), "<timestamp>", "vis_data", "scalars.json")}: '
                            'is it the work dir of a training run (mmengine LocalVisBackend)?')
    return paths


def read_runs(work_dir: str) -> List[List[dict]]:
    """The logged records of each run in ``work_dir``: ``[[record, ...], ...]``, oldest run first."""
    runs = []
    for path in scalar_files(work_dir):
        with open(path) as f:
            runs.append([json.loads(line) for line in f if line.strip()])
    return runs


def logged_values(work_dir: str, key: str) -> list:
    """Every value logged under ``key`` in ``work_dir``, in logging order (empty when none)."""
    return [record[key] for records in read_runs(work_dir) for record in records if key in record]
