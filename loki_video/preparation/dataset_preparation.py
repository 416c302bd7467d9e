"""A dataset's videos prepared for cheap random access (``tools/data/prepare_videos.py``).

:func:`prepare_dataset` reads an mmaction2 annotation list (``<path relative to VIDEO_ROOT> <label>...``
per line), prepares each video with :func:`~loki_video.preparation.video_preparation.prepare_video` in a
pool of processes, one per core by default, and writes under OUT_ROOT:

* each video at its relative path with the ``.mp4`` suffix;
* ``<list name>``: the list's lines for the prepared videos, same labels, same order, paths relative
  to OUT_ROOT (a config changes only ``data_root`` / ``ann_file``);
* ``<list stem>.manifest.jsonl``: one record a video (source, output, frames, fps, size, bytes, PSNR of
  a sample of frames against the scaled source, the settings), appended as each one finishes;
* ``<list stem>.skipped.txt``: each source that could not be prepared, with its reason, one a line.

A second run skips every video whose manifest record still stands (same settings, same source size
and time, the output there with the recorded size): an interrupted run goes on where it stopped, and
since outputs are renamed into place only once verified, no half-written file is ever taken for a
whole one.
"""
import dataclasses
import json
import multiprocessing
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

from tqdm import tqdm

from loki_video.checkpoints.atomic_write import write_atomically
from loki_video.datasets.video_reader import one_torch_thread
from loki_video.output_paths import writable_folder
from loki_video.user_error import UserFileError, UserValueError

from .video_preparation import EncodingSettings, describe_failure, prepare_video, source_signature


def read_annotations(list_file: str) -> List[Tuple[str, str]]:
    """``(relative path, rest of the line)`` of every non-empty line of an annotation list."""
    if not osp.isfile(list_file):
        raise UserFileError(f'annotation list not found: {list_file}')
    entries = []
    with open(list_file) as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                path, _, rest = line.strip().partition(' ')
                if not rest.strip():
                    raise UserValueError(f'{list_file}, line {number}: expected "<video path> <label>", '
                                         f'got {line.strip()!r}')
                entries.append((path, rest.strip()))
    return entries


def output_path(relative: str) -> str:
    """A source's relative path with the ``.mp4`` suffix."""
    return osp.splitext(relative)[0] + '.mp4'


def _check_layout(entries: List[Tuple[str, str]], video_root: str, out_root: str, list_file: str) -> None:
    if not osp.isdir(video_root):
        raise UserFileError(f'video root not found: {video_root}; pass the folder the paths of {list_file} are '
                            'relative to')
    outputs = {}
    for relative, _ in entries:
        output = osp.normpath(osp.join(out_root, output_path(relative)))
        if osp.realpath(output) == osp.realpath(osp.join(video_root, relative)):
            raise UserValueError(f'{relative}: its output would overwrite the source; choose an OUT_ROOT '
                                 f'other than {video_root}')
        if output in outputs and outputs[output] != relative:
            raise UserValueError(f'{outputs[output]} and {relative} would both be prepared as {output_path(relative)}; '
                                 'rename one of them')
        outputs[output] = relative


def read_manifest(path: str) -> Dict[str, dict]:
    """The newest record of each output in a manifest (a line cut short by a kill is ignored)."""
    records = {}
    if osp.isfile(path):
        with open(path) as lines:
            for line in lines:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                records[record['output']] = record
    return records


def still_stands(record: Optional[dict], source: str, settings: EncodingSettings) -> bool:
    """Whether an earlier record's output can be kept for ``source`` under ``settings``."""
    signature = source_signature(source)
    return (record is not None and record.get('settings') == dataclasses.asdict(settings) and signature is not None
            and all(record.get(key) == value for key, value in signature.items())
            and osp.isfile(record['output']) and osp.getsize(record['output']) == record['bytes'])


def _prepare_entry(job: Tuple[str, str, EncodingSettings]) -> Tuple[str, Optional[dict], str]:
    """Pool worker: ``(source, output, settings)`` -> ``(source, record or None, reason)``."""
    source, output, settings = job
    signature = source_signature(source)
    if signature is None:
        return source, None, 'missing: no such file'
    try:
        return source, dict(prepare_video(source, output, settings), **signature), ''
    except Exception as error:  # noqa: BLE001 - every failure of one video skips that video, never the run
        return source, None, describe_failure(error)


def prepare_dataset(list_file: str, video_root: str, out_root: str, settings: EncodingSettings = EncodingSettings(),
                    workers: int = 0, progress: bool = True) -> dict:
    """Prepare every video of ``list_file`` (module docstring).

    Returns:
        ``dict(prepared=[records], kept=[records of earlier runs], skipped=[(line path, reason)],
        list=..., manifest=..., skipped_list=...)``.
    """
    entries = read_annotations(list_file)
    _check_layout(entries, video_root, out_root, list_file)
    writable_folder(out_root, 'OUT_ROOT')
    stem = osp.splitext(osp.basename(list_file))[0]
    manifest_file = osp.join(out_root, f'{stem}.manifest.jsonl')
    records = read_manifest(manifest_file)
    jobs, kept = [], {}
    for relative, _ in entries:
        source, output = osp.join(video_root, relative), osp.join(out_root, output_path(relative))
        if still_stands(records.get(output), source, settings):
            kept[source] = records[output]
        else:
            jobs.append((source, output, settings))
    prepared, reasons = {}, {}
    if jobs:
        pool = multiprocessing.Pool(min(workers or os.cpu_count() or 1, len(jobs)), initializer=one_torch_thread)
        with pool, open(manifest_file, 'a') as manifest:
            for source, record, reason in tqdm(pool.imap_unordered(_prepare_entry, jobs), total=len(jobs),
                                               desc='preparing videos', unit='video', disable=not progress):
                if record is None:
                    reasons[source] = reason
                    continue
                prepared[source] = record
                manifest.write(json.dumps(record) + '\n')
                manifest.flush()
    out_list = osp.join(out_root, osp.basename(list_file))
    skipped_list = osp.join(out_root, f'{stem}.skipped.txt')
    skipped = [(relative, reasons[osp.join(video_root, relative)]) for relative, _ in entries
               if osp.join(video_root, relative) in reasons]
    write_atomically(out_list, ''.join(f'{output_path(relative)} {rest}\n' for relative, rest in entries
                                       if osp.join(video_root, relative) not in reasons).encode())
    write_atomically(skipped_list, ''.join(f'{relative}: {reason}\n' for relative, reason in skipped).encode())
    return dict(prepared=list(prepared.values()), kept=list(kept.values()), skipped=skipped, list=out_list,
                manifest=manifest_file, skipped_list=skipped_list)
