"""Build mmaction2 video annotation lists and a label names file.

Each list line is ``<relative video path><delimiter><label index>``, the
format read by mmaction2's ``VideoDataset``; the label names file has one
class name per line, and line ``i`` (from 0) names label ``i``.

Sources (subcommands):

* ``folder``: a class-per-folder tree such as Kinetics,
  ``ROOT/<class name>/<video>``. Classes are sorted by name unless
  ``--classes`` gives an existing label names file (use the training one
  when listing the validation split so indices agree).
* ``ssv2``: Something-Something v2 ``labels.json`` plus a split json
  (``something-something-v2-train.json`` / ``-validation.json``). Labels
  come from each entry's ``template`` with the brackets removed, as in the
  official code; a split without templates (the test json) is written
  without labels.
* ``diving48``: a Diving-48 split json (``Diving48_V2_train.json`` /
  ``Diving48_V2_test.json``, entries with ``vid_name`` and ``label``) plus
  ``Diving48_vocab.json`` whose sub-lists name each class.

Example::

    python tools/data/build_video_list.py folder \\
        data/kinetics400/videos_train \\
        --out data/kinetics400/kinetics400_train_list_videos.txt \\
        --label-names data/kinetics400/classes.txt
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from loki_video.output_paths import writable_file
from loki_video.tool_main import run_main
from loki_video.user_error import UserFileError, UserValueError

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v')
README_HINT = 'see data/README.md'

Entry = Tuple[str, Optional[int]]


def _require_file(path: str, what: str) -> None:
    if not osp.isfile(path):
        raise UserFileError(
            f'{what} not found: {path}; download it or fix the path '
            f'({README_HINT}).')


def _load_json(path: str, what: str):
    _require_file(path, what)
    with open(path) as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as err:
            raise UserValueError(f'{path} is not valid JSON ({err}); '
                                 f're-download the {what}.') from err


def read_label_names(path: str) -> List[str]:
    """Read a label names file: one class name per line."""
    _require_file(path, 'label names file')
    with open(path) as f:
        names = [line.rstrip('\n') for line in f if line.strip()]
    if len(set(names)) != len(names):
        raise UserValueError(f'{path} lists a class name twice; each line must '
                             'name a different class.')
    return names


def list_from_folder(
        root: str,
        extensions: Sequence[str] = VIDEO_EXTENSIONS,
        class_names: Optional[List[str]] = None
) -> Tuple[List[Entry], List[str]]:
    """List videos of a ``root/<class>/<video>`` tree.

    Args:
        root: Directory with one sub-directory per class.
        extensions: Video file suffixes to keep (case-insensitive).
        class_names: Fixed class order; defaults to sorted folder names.

    Returns:
        Entries ``(path relative to root, label)`` and the class names.
    """
    if not osp.isdir(root):
        raise UserFileError(
            f'video folder not found: {root}; it must hold one sub-folder '
            f'per class ({README_HINT}).')
    folders = sorted(d for d in os.listdir(root)
                     if osp.isdir(osp.join(root, d)))
    if not folders:
        raise UserValueError(f'{root} has no class sub-folders; expected '
                             f'{root}/<class name>/<video> ({README_HINT}).')
    if class_names is None:
        class_names = folders
    else:
        unknown = sorted(set(folders) - set(class_names))
        if unknown:
            raise UserValueError(
                f'{root} has folders missing from the label names file: '
                f'{unknown[:5]}; build the training list first and pass its '
                'label names file with --classes.')
    label_of = {name: index for index, name in enumerate(class_names)}
    suffixes = tuple(ext.lower() for ext in extensions)
    entries = []
    for folder in folders:
        for dirpath, _, files in sorted(os.walk(osp.join(root, folder))):
            for name in sorted(files):
                if name.lower().endswith(suffixes):
                    rel = osp.relpath(osp.join(dirpath, name), root)
                    entries.append((rel, label_of[folder]))
    if not entries:
        raise UserValueError(f'no videos with suffix {list(suffixes)} under '
                             f'{root}; check --extensions.')
    return entries, list(class_names)


def ssv2_label_key(template: str) -> str:
    """Key of a SSv2 template in labels.json: brackets removed."""
    return template.replace('[', '').replace(']', '')


def list_from_ssv2(split_json: str, labels_json: str,
                   video_ext: str = '.webm') -> Tuple[List[Entry], List[str]]:
    """List a Something-Something v2 split.

    Args:
        split_json: Split file with entries ``{"id", "template", ...}``.
        labels_json: ``labels.json`` mapping template text to an index.
        video_ext: Suffix of the video files named ``<id><video_ext>``.

    Returns:
        Entries ``(<id><video_ext>, label or None)`` and the 174 class names.
    """
    mapping: Dict[str, str] = _load_json(labels_json, 'SSv2 labels.json')
    entries_json = _load_json(split_json, 'SSv2 split json')
    if not isinstance(mapping, dict):
        raise UserValueError(f'{labels_json} must map template text to a class '
                             'index; pass labels.json, not a split file.')
    if not isinstance(entries_json, list):
        raise UserValueError(f'{split_json} must be a list of videos; pass a '
                             'split file, not labels.json.')
    label_of = {name: int(index) for name, index in mapping.items()}
    class_names = [name for name, _ in sorted(label_of.items(),
                                              key=lambda kv: kv[1])]
    if [label_of[n] for n in class_names] != list(range(len(class_names))):
        raise UserValueError(f'{labels_json}: class indices must be 0..N-1 '
                             'without gaps.')
    entries = []
    for item in entries_json:
        if 'id' not in item:
            raise UserValueError(f'{split_json}: entry without "id": {item}')
        label = None
        if 'template' in item:
            key = ssv2_label_key(item['template'])
            if key not in label_of:
                raise UserValueError(
                    f'{split_json}: template {item["template"]!r} of video '
                    f'{item["id"]} is not in {labels_json}; use the '
                    'labels.json of the same release.')
            label = label_of[key]
        entries.append((f'{item["id"]}{video_ext}', label))
    return entries, class_names


def list_from_diving48(
        split_json: str,
        vocab_json: str,
        video_ext: str = '.mp4') -> Tuple[List[Entry], List[str]]:
    """List a Diving-48 split.

    Args:
        split_json: Split file with entries ``{"vid_name", "label", ...}``.
        vocab_json: ``Diving48_vocab.json``: one list of dive attributes per
            class, joined with ``_`` to form the class name.
        video_ext: Suffix of the video files named ``<vid_name><video_ext>``.

    Returns:
        Entries ``(<vid_name><video_ext>, label)`` and the 48 class names.
    """
    vocab = _load_json(vocab_json, 'Diving48_vocab.json')
    entries_json = _load_json(split_json, 'Diving-48 split json')
    if not isinstance(vocab, list) or not all(
            isinstance(v, list) for v in vocab):
        raise UserValueError(f'{vocab_json} must be a list of attribute lists; '
                             'pass Diving48_vocab.json.')
    if not isinstance(entries_json, list):
        raise UserValueError(f'{split_json} must be a list of videos; pass '
                             'Diving48_V2_train.json or Diving48_V2_test.json.')
    class_names = ['_'.join(str(part) for part in v) for v in vocab]
    entries = []
    for item in entries_json:
        if 'vid_name' not in item or 'label' not in item:
            raise UserValueError(f'{split_json}: entry needs "vid_name" and '
                                 f'"label": {item}')
        label = int(item['label'])
        if not 0 <= label < len(class_names):
            raise UserValueError(
                f'{split_json}: label {label} of {item["vid_name"]} is '
                f'outside the {len(class_names)} classes of {vocab_json}.')
        entries.append((f'{item["vid_name"]}{video_ext}', label))
    return entries, class_names


def write_list(entries: Sequence[Entry], path: str,
               delimiter: str = ' ') -> None:
    """Write ``path<delimiter>label`` lines (path only when label is None)."""
    clashing = [p for p, _ in entries if delimiter in p]
    if clashing:
        raise UserValueError(
            f'{len(clashing)} video paths contain the delimiter '
            f'{delimiter!r}, e.g. {clashing[0]!r}; rename them (for example '
            "spaces to '_') or pass another --delimiter and the same "
            'delimiter to the dataset config.')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        for video, label in entries:
            f.write(video if label is None else f'{video}{delimiter}{label}')
            f.write('\n')


def write_label_names(names: Sequence[str], path: str) -> None:
    """Write one class name per line; line i names label i."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        f.write(''.join(f'{name}\n' for name in names))


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Build mmaction2 video lists and a label names file.')
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('--out', required=True, help='list file to write')
    common.add_argument('--label-names', required=True,
                        help='label names file to write')
    common.add_argument('--delimiter', default=' ',
                        help="separator between path and label (default ' ')")
    sub = parser.add_subparsers(dest='source', required=True)

    folder = sub.add_parser('folder', parents=[common],
                            help='class-per-folder tree (Kinetics layout)')
    folder.add_argument('root', help='directory with one folder per class')
    folder.add_argument('--extensions', nargs='+', default=VIDEO_EXTENSIONS)
    folder.add_argument('--classes',
                        help='existing label names file fixing class order')

    ssv2 = sub.add_parser('ssv2', parents=[common],
                          help='Something-Something v2 json files')
    ssv2.add_argument('split_json', help='e.g. something-something-v2-'
                      'train.json')
    ssv2.add_argument('labels_json', help='labels.json')
    ssv2.add_argument('--video-ext', default='.webm')

    diving = sub.add_parser('diving48', parents=[common],
                            help='Diving-48 json files')
    diving.add_argument('split_json', help='e.g. Diving48_V2_train.json')
    diving.add_argument('vocab_json', help='Diving48_vocab.json')
    diving.add_argument('--video-ext', default='.mp4')
    return parser


def main(argv=None) -> None:
    parser = _build_parser()
    args = parser.parse_args(argv)
    writable_file(args.out, '--out')
    try:
        if args.source == 'folder':
            names = read_label_names(args.classes) if args.classes else None
            entries, names = list_from_folder(args.root, args.extensions,
                                              names)
        elif args.source == 'ssv2':
            entries, names = list_from_ssv2(args.split_json,
                                            args.labels_json, args.video_ext)
        else:
            entries, names = list_from_diving48(args.split_json,
                                                args.vocab_json,
                                                args.video_ext)
        write_list(entries, args.out, args.delimiter)
        write_label_names(names, args.label_names)
    except (FileNotFoundError, ValueError) as err:  # a missing or malformed annotation file: exit 1, as every tool
        raise UserFileError(str(err)) if isinstance(err, FileNotFoundError) else UserValueError(str(err)) from err
    unlabelled = sum(label is None for _, label in entries)
    note = f' ({unlabelled} without labels)' if unlabelled else ''
    print(f'{len(entries)} videos{note} -> {args.out}; '
          f'{len(names)} classes -> {args.label_names}')


if __name__ == '__main__':
    run_main(main)
