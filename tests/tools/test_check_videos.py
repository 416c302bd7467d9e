import json
import os.path as osp

import decord
import pytest

from tool_loading import load_tool

check_videos = load_tool('tools/data/check_videos.py')


def _status_by_line(report):
    return {p['line']: (p['status'], p['reason']) for p in report['problems']}


def test_classifies_good_truncated_empty_and_missing(mixed_videos, tmp_path):
    root, list_file, lines = mixed_videos
    report = check_videos.check_list(list_file, root, workers=2)
    assert report['counts'] == dict(ok=2, missing=1, unreadable=2,
                                    zero_frames=0, too_short=0, inexact_seek=0)
    problems = _status_by_line(report)
    assert problems['truncated.mp4 1'][0] == 'unreadable'
    assert problems['empty.mp4 2'] == ('unreadable', 'zero-byte file')
    assert problems['missing.mp4 3'][0] == 'missing'
    with open(report['clean_list']) as f:
        assert f.read().splitlines() == ['good.mp4 0', 'good2.mp4 4']
    assert report['clean_list'] == str(tmp_path / 'list.clean.txt')
    with open(tmp_path / 'list.report.json') as f:
        assert json.load(f)['counts'] == report['counts']


def test_min_frames_marks_short_videos(mixed_videos, real_video, tmp_path):
    root, list_file, _ = mixed_videos
    out_dir = tmp_path / 'out'
    num_frames = len(decord.VideoReader(real_video))
    report = check_videos.check_list(list_file, root, str(out_dir),
                                     workers=1, min_frames=num_frames + 1)
    assert report['counts']['too_short'] == 2
    assert _status_by_line(report)['good.mp4 0'][0] == 'too_short'
    assert (out_dir / 'list.clean.txt').read_text() == ''


def test_cli_prints_summary_and_exits_zero(mixed_videos, capsys):
    root, list_file, _ = mixed_videos
    check_videos.main([list_file, root, '--workers', '2', '--full-decode'])
    out = capsys.readouterr().out
    assert 'unreadable' in out and 'total' in out
    assert osp.join(root, 'empty.mp4') in out


def test_missing_inputs_name_the_path(mixed_videos, tmp_path, capsys):
    root, list_file, _ = mixed_videos
    with pytest.raises(SystemExit) as exit_info:
        check_videos.main([str(tmp_path / 'nope.txt'), root])
    assert exit_info.value.code == 2
    assert 'nope.txt' in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match='no_root'):
        check_videos.check_list(list_file, str(tmp_path / 'no_root'))


def test_verify_seek_flags_a_video_whose_indexed_reads_are_wrong(real_video, cockatoo, tmp_path, capsys):
    root = osp.dirname(cockatoo)
    list_file = tmp_path / 'list.txt'
    list_file.write_text(f'{osp.basename(cockatoo)} 0\n{osp.relpath(real_video, root)} 1\n')
    check_videos.main([str(list_file), root, '--out-dir', str(tmp_path), '--workers', '2', '--verify-seek'])
    report = json.loads((tmp_path / 'list.report.json').read_text())
    assert (report['counts']['inexact_seek'], report['counts']['ok']) == (1, 1)
    assert report['problems'][0]['line'] == 'cockatoo.mp4 0'
    assert 'frames read by index differ from decoding in order' in report['problems'][0]['reason']
    assert (tmp_path / 'list.exact.txt').read_text() == 'cockatoo.mp4 0\n'
    assert len((tmp_path / 'list.clean.txt').read_text().splitlines()) == 2  # readable: both kept
    assert "exact_decode_list='" in capsys.readouterr().out
