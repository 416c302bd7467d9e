import json
import sys

import pytest

from tool_loading import load_tool

build_video_list = load_tool('tools/data/build_video_list.py')


def _lines(path):
    with open(path) as f:
        return f.read().splitlines()


@pytest.fixture
def kinetics_tree(tmp_path):
    root = tmp_path / 'videos_train'
    for name in ('playing_guitar/b.mp4', 'playing_guitar/a.mp4',
                 'abseiling/x.avi', 'abseiling/notes.txt',
                 'abseiling/part2/y.MKV'):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b'')
    return root


def test_folder(kinetics_tree, tmp_path):
    out, names = tmp_path / 'train.txt', tmp_path / 'classes.txt'
    build_video_list.main(['folder', str(kinetics_tree), '--out', str(out),
                           '--label-names', str(names)])
    assert _lines(names) == ['abseiling', 'playing_guitar']
    assert _lines(out) == [
        'abseiling/x.avi 0', 'abseiling/part2/y.MKV 0',
        'playing_guitar/a.mp4 1', 'playing_guitar/b.mp4 1'
    ]


def test_folder_reuses_class_order(kinetics_tree, tmp_path):
    classes = tmp_path / 'train_classes.txt'
    classes.write_text('zumba\nplaying_guitar\nabseiling\n')
    out, names = tmp_path / 'val.txt', tmp_path / 'val_classes.txt'
    build_video_list.main([
        'folder', str(kinetics_tree), '--out', str(out), '--label-names',
        str(names), '--classes', str(classes)
    ])
    assert _lines(names) == ['zumba', 'playing_guitar', 'abseiling']
    assert _lines(out)[0] == 'abseiling/x.avi 2'


def test_folder_errors(kinetics_tree, tmp_path, capsys, monkeypatch):
    """One line and exit status 1, as every tool."""
    from loki_video.tool_main import run_main

    def run(*argv):
        monkeypatch.setattr(sys, 'argv', ['build_video_list.py', *argv])
        with pytest.raises(SystemExit) as exit_info:
            run_main(build_video_list.main)
        assert exit_info.value.code == 1
        [line] = capsys.readouterr().err.splitlines()
        return line
    missing = tmp_path / 'nope'
    assert str(missing) in run('folder', str(missing), '--out', str(tmp_path / 'x.txt'), '--label-names', 'y.txt')
    (kinetics_tree / 'air drumming').mkdir()
    (kinetics_tree / 'air drumming' / 'v.mp4').write_bytes(b'')
    assert 'delimiter' in run('folder', str(kinetics_tree), '--out', str(tmp_path / 'l.txt'), '--label-names',
                              str(tmp_path / 'c.txt'))


@pytest.fixture
def ssv2_files(tmp_path):
    labels = {
        'Holding something next to something': '1',
        'Approaching something with your camera': '0',
    }
    train = [
        dict(id='78687', label='holding potato next to vicks vaporub bottle',
             template='Holding [something] next to [something]',
             placeholders=['potato', 'vicks vaporub bottle']),
        dict(id='42326', label='approaching a cup with your camera',
             template='Approaching [something] with your camera',
             placeholders=['a cup']),
    ]
    test = [dict(id='1420'), dict(id='5')]
    paths = {}
    for name, content in (('labels', labels), ('train', train),
                          ('test', test)):
        paths[name] = tmp_path / f'{name}.json'
        paths[name].write_text(json.dumps(content))
    return paths


def test_ssv2(ssv2_files, tmp_path):
    out, names = tmp_path / 'train.txt', tmp_path / 'classes.txt'
    build_video_list.main([
        'ssv2', str(ssv2_files['train']), str(ssv2_files['labels']), '--out',
        str(out), '--label-names', str(names)
    ])
    assert _lines(names) == [
        'Approaching something with your camera',
        'Holding something next to something'
    ]
    assert _lines(out) == ['78687.webm 1', '42326.webm 0']
    build_video_list.main([
        'ssv2', str(ssv2_files['test']), str(ssv2_files['labels']), '--out',
        str(out), '--label-names', str(names), '--video-ext', '.mp4'
    ])
    assert _lines(out) == ['1420.mp4', '5.mp4']


def test_ssv2_errors(ssv2_files, tmp_path):
    with pytest.raises(FileNotFoundError, match='labels.json'):
        build_video_list.list_from_ssv2(str(ssv2_files['train']),
                                        str(tmp_path / 'labels_missing.json'))
    with pytest.raises(ValueError, match='pass labels.json'):
        build_video_list.list_from_ssv2(str(ssv2_files['train']),
                                        str(ssv2_files['train']))
    unknown = tmp_path / 'unknown.json'
    unknown.write_text(json.dumps([dict(id='1', template='Dropping [sth]')]))
    with pytest.raises(ValueError, match='Dropping'):
        build_video_list.list_from_ssv2(str(unknown),
                                        str(ssv2_files['labels']))


def test_diving48(tmp_path):
    vocab = [['Back', '15som', '05Twis', 'FREE'],
             ['Forward', '15som', 'NoTwis', 'PIKE']]
    split = [
        dict(vid_name='-mmq0PT-u8k_00155', label=1, start_frame=0,
             end_frame=184),
        dict(vid_name='_8Vy3dlHg2w_00000', label=0, start_frame=0,
             end_frame=50),
    ]
    vocab_json, split_json = tmp_path / 'vocab.json', tmp_path / 'train.json'
    vocab_json.write_text(json.dumps(vocab))
    split_json.write_text(json.dumps(split))
    out, names = tmp_path / 'train.txt', tmp_path / 'classes.txt'
    build_video_list.main(['diving48', str(split_json), str(vocab_json),
                           '--out', str(out), '--label-names', str(names)])
    assert _lines(names) == ['Back_15som_05Twis_FREE',
                             'Forward_15som_NoTwis_PIKE']
    assert _lines(out) == [
        '-mmq0PT-u8k_00155.mp4 1', '_8Vy3dlHg2w_00000.mp4 0'
    ]

    split_json.write_text(json.dumps([dict(vid_name='a', label=48)]))
    with pytest.raises(ValueError, match='outside the 2 classes'):
        build_video_list.list_from_diving48(str(split_json), str(vocab_json))
    with pytest.raises(FileNotFoundError, match='Diving48_vocab.json'):
        build_video_list.list_from_diving48(str(split_json),
                                            str(tmp_path / 'none.json'))
