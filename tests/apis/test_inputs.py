"""collect_inputs: which files the tools run on and the names of their outputs."""
import pytest

from loki_video.apis import collect_inputs


def touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'')
    return str(path)


def test_files_keep_their_names_and_folders_give_paths_below_them(tmp_path):
    video = touch(tmp_path / 'clips' / 'walk.mp4')
    touch(tmp_path / 'set' / 'move_up' / '0003.mp4')
    touch(tmp_path / 'set' / 'notes.txt')
    found = collect_inputs([video, str(tmp_path / 'set')])
    assert [name for _, name in found] == ['walk', 'move_up__0003']


def test_files_with_the_same_name_get_distinct_output_names(tmp_path):
    first = touch(tmp_path / 'test' / 'move_right' / '0001.mp4')
    second = touch(tmp_path / 'test' / 'rotate_clockwise' / '0001.mp4')
    names = [name for _, name in collect_inputs([first, second, first])]
    assert names == ['move_right__0001', 'rotate_clockwise__0001', 'move_right__0001_2']


def test_nothing_to_run_on_is_an_error(tmp_path):
    touch(tmp_path / 'notes.txt')
    with pytest.raises(FileNotFoundError, match='no video'):
        collect_inputs([str(tmp_path)])
    with pytest.raises(FileNotFoundError, match='does not exist'):
        collect_inputs([str(tmp_path / 'missing.mp4')])
