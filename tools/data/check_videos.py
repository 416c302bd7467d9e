"""Check that every video of an mmaction2 list decodes, and drop bad entries.

Usage::

    python tools/data/check_videos.py LIST ROOT [--out-dir DIR]
        [--workers N] [--min-frames N] [--full-decode] [--verify-seek [N]]
        [--backend auto|torchcodec|decord]

``LIST`` holds ``<path relative to ROOT> <label>`` lines. Each video is opened
with the decoder the pipeline's ``VideoInit`` uses (``--backend``, default ``auto``:
TorchCodec where it loads, else decord; check with the backend you train with) in a
pool of worker processes and classified as

* ``ok``          opens and its first, middle and last frames decode
  (every frame with ``--full-decode``);
* ``missing``     no file at the path;
* ``unreadable``  zero-byte file, or the decoder raises while opening/decoding;
* ``zero_frames`` opens but reports no frames;
* ``too_short``   fewer frames than ``--min-frames``;
* ``inexact_seek`` (``--verify-seek``) decodes, but reading a frame by index (a fresh
  reader, as a training clip is read) returns other pixels than decoding from the first
  frame on, at one of N frames spread over the video (default 8): training would see
  corrupted or wrong frames without an error.

``--min-frames`` should be the span of one training clip,
``clip_len * frame_interval`` of ``SampleFrames``: for the 8x1x1 recipe with
``frame_interval=16`` a clip spans 8 * 16 = 128 frames. Shorter videos do not
crash mmaction2 (``SampleFrames`` loops them) but repeat frames.

Writes ``<list stem>.report.json`` (counts and every non-ok entry with its
reason) and ``<list stem>.clean.txt`` (the ok and inexact_seek lines, unchanged)
next to the list or into ``--out-dir``; with ``--verify-seek`` also
``<list stem>.exact.txt``, the inexact_seek lines, for the dataset option
``RobustVideoDataset(exact_decode_list=...)`` that decodes those videos from
their first frame on. Prints a summary table and exits with code 0.
"""
import argparse
import json
import multiprocessing
import os
import os.path as osp
import sys
from typing import List, Optional, Tuple

from tqdm import tqdm

from loki_video.datasets.video_reader import BACKENDS, decode_failure, one_torch_thread, open_video, seek_mismatches
from loki_video.tool_main import run_main
from loki_video.user_error import UserFileError, UserValueError

STATUSES = ('ok', 'missing', 'unreadable', 'zero_frames', 'too_short', 'inexact_seek')
READABLE = ('ok', 'inexact_seek')
FRAMES_PER_READ = 32  # --full-decode reads this many frames at a time


def check_video(path: str, min_frames: int = 1,
                full_decode: bool = False, verify_seek: int = 0,
                backend: str = 'auto') -> Tuple[str, str, int]:
    """Classify one video file, read with ``backend``; ``verify_seek`` frames (0: none) are read by
    index and compared with decoding in order.

    Returns:
        ``(status, reason, num_frames)``; ``num_frames`` is -1 when the
        video could not be opened.
    """
    if not osp.exists(path):
        return 'missing', 'no such file', -1
    if osp.getsize(path) == 0:
        return 'unreadable', 'zero-byte file', -1
    try:
        reader = open_video(path, backend)
    except Exception as err:
        return 'unreadable', f'cannot open: {decode_failure(err)}', -1
    num_frames = reader.num_frames
    if num_frames == 0:
        return 'zero_frames', f'{reader.backend} reports 0 frames', 0
    indices = list(range(num_frames)) if full_decode else sorted({0, num_frames // 2, num_frames - 1})
    for start in range(0, len(indices), FRAMES_PER_READ):
        try:
            reader.frames_at(indices[start:start + FRAMES_PER_READ])
        except Exception as err:
            return ('unreadable', f'frames {indices[start]}-{indices[start:start + FRAMES_PER_READ][-1]} of '
                    f'{num_frames} fail: {decode_failure(err)}', num_frames)
    if num_frames < min_frames:
        return ('too_short', f'{num_frames} frames < --min-frames '
                f'{min_frames}', num_frames)
    if verify_seek:
        try:
            seek = seek_mismatches(path, verify_seek, backend)
        except Exception as err:
            return 'unreadable', f'decoding in order fails: {decode_failure(err)}', num_frames
        if seek['wrong']:
            return ('inexact_seek', f'{len(seek["wrong"])} of {len(seek["checked"])} frames read by index differ '
                    f'from decoding in order (frames {seek["wrong"]})', num_frames)
    return 'ok', '', num_frames


def _check_entry(job: Tuple[str, int, bool, int, str]) -> Tuple[str, str, int]:
    """Pool worker: ``(path, min_frames, full_decode, verify_seek, backend)`` -> check_video."""
    return check_video(*job)


def read_list(list_file: str) -> List[str]:
    """Read the non-empty lines of an annotation list."""
    if not osp.isfile(list_file):
        raise UserFileError(
            f'annotation list not found: {list_file}; build it with '
            'tools/data/build_video_list.py (see data/README.md).')
    with open(list_file) as f:
        return [line.rstrip('\n') for line in f if line.strip()]


def check_list(list_file: str,
               root: str,
               out_dir: Optional[str] = None,
               workers: int = 0,
               min_frames: int = 1,
               full_decode: bool = False,
               delimiter: Optional[str] = None,
               verify_seek: int = 0,
               backend: str = 'auto') -> dict:
    """Check every entry of a list and write the report and clean list.

    Args:
        list_file: Annotation list, ``<path><delimiter><label>`` per line.
        root: Directory the list paths are relative to.
        out_dir: Where to write outputs; defaults to the list's folder.
        workers: Worker processes; 0 means one per CPU core.
        min_frames: Videos with fewer frames are ``too_short``.
        full_decode: Decode every frame instead of first/middle/last.
        delimiter: Path/label separator; ``None`` splits on whitespace.
        verify_seek: Frames per video to read by index and compare with
            decoding in order (0: no check).
        backend: decoder of those indexed reads (``VideoInit``'s backend).

    Returns:
        The report dict (also written as JSON).
    """
    if not osp.isdir(root):
        raise UserFileError(
            f'video root not found: {root}; pass the directory the paths in '
            f'{list_file} are relative to (see data/README.md).')
    lines = read_list(list_file)
    paths = [osp.join(root, line.split(delimiter)[0]) for line in lines]
    jobs = [(path, min_frames, full_decode, verify_seek, backend) for path in paths]
    workers = workers or os.cpu_count() or 1
    with multiprocessing.Pool(workers, initializer=one_torch_thread) as pool:
        results = list(
            tqdm(pool.imap(_check_entry, jobs, chunksize=4),
                 total=len(jobs), desc='checking videos', unit='video'))

    stem = osp.splitext(osp.basename(list_file))[0]
    out_dir = out_dir or osp.dirname(osp.abspath(list_file))
    os.makedirs(out_dir, exist_ok=True)
    clean_file = osp.join(out_dir, f'{stem}.clean.txt')
    report_file = osp.join(out_dir, f'{stem}.report.json')
    counts = {status: 0 for status in STATUSES}
    problems = []
    for line, path, (status, reason, num_frames) in zip(lines, paths, results):
        counts[status] += 1
        if status != 'ok':
            problems.append(dict(line=line, path=path, status=status, reason=reason, num_frames=num_frames))
    with open(clean_file, 'w') as clean:
        clean.writelines(line + '\n' for line, (status, _, _) in zip(lines, results) if status in READABLE)
    report = dict(list=list_file, root=root, min_frames=min_frames,
                  full_decode=full_decode, verify_seek=verify_seek, backend=backend, total=len(lines), counts=counts,
                  clean_list=clean_file, problems=problems)
    if verify_seek:
        report['exact_list'] = osp.join(out_dir, f'{stem}.exact.txt')
        with open(report['exact_list'], 'w') as exact:
            exact.writelines(line + '\n' for line, (status, _, _) in zip(lines, results) if status == 'inexact_seek')
    with open(report_file, 'w') as f:
        json.dump(report, f, indent=2)
    report['report'] = report_file
    return report


def format_summary(report: dict) -> str:
    """A plain-text table of the counts per status."""
    rows = [('status', 'videos')]
    rows += [(status, str(n)) for status, n in report['counts'].items()]
    rows.append(('total', str(report['total'])))
    width = max(len(r[0]) for r in rows)
    lines = [f'{name:<{width}}  {count:>7}' for name, count in rows]
    lines.insert(1, '-' * (width + 9))
    lines.insert(len(lines) - 1, '-' * (width + 9))
    return '\n'.join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description='Decode every video of an mmaction2 list, report bad '
        'ones and write a cleaned list.')
    parser.add_argument('list', help='annotation list (path label per line)')
    parser.add_argument('root', help='directory the list paths start from')
    parser.add_argument('--out-dir', help='output folder (default: the '
                        "list's folder)")
    parser.add_argument('--workers', type=int, default=0,
                        help='worker processes (default: one per CPU core)')
    parser.add_argument('--min-frames', type=int, default=1,
                        help='minimum frames, e.g. clip_len * frame_interval '
                        '= 128 for 8 frames at interval 16 (default 1)')
    parser.add_argument('--full-decode', action='store_true',
                        help='decode every frame (slow, thorough)')
    parser.add_argument('--delimiter', default=None,
                        help='path/label separator (default: whitespace)')
    parser.add_argument('--verify-seek', type=int, nargs='?', const=8, default=0, metavar='N',
                        help='read N frames per video by index and compare them with sequential '
                        'decoding (default N: 8); lists the videos that differ in <list>.exact.txt')
    parser.add_argument('--backend', choices=BACKENDS, default='auto',
                        help='decoder of the indexed reads of --verify-seek, as VideoInit takes it '
                        '(default auto: torchcodec where it loads, else decord)')
    args = parser.parse_args(argv)
    try:
        report = check_list(args.list, args.root, args.out_dir, args.workers,
                            args.min_frames, args.full_decode, args.delimiter, args.verify_seek,
                            args.backend)
    except FileNotFoundError as err:
        print(f'error: {err}', file=sys.stderr)
        sys.exit(2)
    if report['total'] == 0:
        raise UserValueError(f'{args.list} has no entries: nothing to check (one "<video path> <label>" line per '
                             'video; tools/data/build_video_list.py writes such lists)')
    print(format_summary(report))
    for problem in report['problems'][:20]:
        print(f'{problem["status"]:<11} {problem["path"]}: '
              f'{problem["reason"]}')
    if len(report['problems']) > 20:
        print(f'... {len(report["problems"]) - 20} more in '
              f'{report["report"]}')
    print(f'clean list: {report["clean_list"]}\nreport: {report["report"]}')
    if report['counts']['inexact_seek']:
        print(f'{report["counts"]["inexact_seek"]} videos need exact decoding, listed in {report["exact_list"]}: '
              f"train on the clean list with RobustVideoDataset(exact_decode_list='{report['exact_list']}')")


if __name__ == '__main__':
    run_main(main)
