"""tools/data/prepare_videos.py: videos re-encoded for random access, verified, resumable, bad sources listed."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from mmaction.datasets.transforms import SampleFrames

from loki_video.datasets.video_reader import open_video
from loki_video.preparation import EncodingSettings, UnusableSource, prepare_video, video_preparation
from loki_video.preparation.dataset_preparation import prepare_dataset

from tool_loading import load_tool

REPO = Path(__file__).resolve().parents[2]
prepare_videos = load_tool('tools/data/prepare_videos.py')
SMALL = EncodingSettings(short_side=64)


def packets(path):
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return stream, [packet for packet in container.demux(stream) if packet.size]


def test_a_list_is_prepared_in_order_with_its_labels_and_bad_sources_are_listed(mixed_videos, tmp_path, capsys):
    root, list_file, lines = mixed_videos
    out = tmp_path / 'prepared'
    status = prepare_videos.main([list_file, root, str(out), '--short-side', '64', '--workers', '2', '--no-progress'])
    assert status == prepare_videos.SOME_SKIPPED
    assert (out / 'list.txt').read_text() == 'good.mp4 0\ngood2.mp4 4\n'
    skipped = (out / 'list.skipped.txt').read_text().splitlines()
    assert [line.split(':')[0] for line in skipped] == ['truncated.mp4', 'empty.mp4', 'missing.mp4']
    assert skipped[1] == 'empty.mp4: empty: a zero-byte file' and skipped[2] == 'missing.mp4: missing: no such file'
    printed = capsys.readouterr().out
    assert '2 videos prepared, 0 kept from an earlier run, 3 skipped' in printed
    assert all(f'skipped {line}' in printed for line in skipped)
    records = [json.loads(line) for line in (out / 'list.manifest.jsonl').read_text().splitlines()]
    assert sorted(Path(record['output']).name for record in records) == ['good.mp4', 'good2.mp4']
    for record in records:
        assert record['frames'] == record['source_frames'] == 120 and record['fps_fraction'] == '30000/1001'
        assert (record['width'], record['height'], record['bytes']) == (78, 64, os.path.getsize(record['output']))
        assert record['psnr_db'] > 30 and record['settings']['gop'] == 1


def test_every_frame_is_a_keyframe_at_the_short_side_and_the_sources_rate(real_video, tmp_path):
    record = prepare_video(real_video, str(tmp_path / 'out.mp4'))
    stream, read = packets(tmp_path / 'out.mp4')
    assert len(read) == 120 and all(packet.is_keyframe for packet in read)
    assert (stream.codec_context.width, stream.codec_context.height) == (312, 256)   # 176x144 -> short side 256, even
    assert stream.average_rate == Fraction(30000, 1001) and record['frames'] == 120   # carphone's NTSC rate
    gop4 = prepare_video(real_video, str(tmp_path / 'gop4.mp4'), EncodingSettings(short_side=64, gop=4))
    assert [i for i, packet in enumerate(packets(tmp_path / 'gop4.mp4')[1]) if packet.is_keyframe] == \
        list(range(0, 120, 4))
    assert gop4['bytes'] < record['bytes']


def test_sampling_is_unchanged_same_indices_at_the_same_times(real_video, tmp_path):
    prepare_video(real_video, str(tmp_path / 'out.mp4'), SMALL)
    times = {}
    for name, path in (('source', real_video), ('prepared', str(tmp_path / 'out.mp4'))):
        reader = open_video(path, 'torchcodec')
        np.random.seed(7)
        sampled = SampleFrames(clip_len=8, frame_interval=4, num_clips=3)(
            dict(total_frames=reader.num_frames, start_index=0))['frame_inds']
        times[name] = (sampled, reader.decoder.get_frames_at(sampled.tolist()).pts_seconds.numpy())
    assert np.array_equal(times['source'][0], times['prepared'][0])
    np.testing.assert_allclose(times['source'][1], times['prepared'][1], atol=1e-3)


def test_a_truncated_source_is_refused_and_nothing_is_written(real_video, tmp_path):
    whole = prepare_video(real_video, str(tmp_path / 'whole.mp4'), SMALL)   # faststart: the index comes first
    cut = tmp_path / 'cut.mp4'
    cut.write_bytes((tmp_path / 'whole.mp4').read_bytes()[:whole['bytes'] // 2])
    with pytest.raises(UnusableSource, match='^truncated: '):
        prepare_video(str(cut), str(tmp_path / 'out' / 'cut.mp4'), SMALL)
    assert os.listdir(tmp_path / 'out') == []


def test_a_failure_half_way_leaves_neither_the_output_nor_a_temporary(real_video, tmp_path, monkeypatch):
    def verify(path, encoded):
        assert os.path.getsize(path) > 0   # the encoder wrote, under another name
        raise RuntimeError('the output decodes to 3 frames')
    monkeypatch.setattr(video_preparation, '_verify', verify)
    with pytest.raises(RuntimeError):
        prepare_video(real_video, str(tmp_path / 'out.mp4'), SMALL)
    assert os.listdir(tmp_path) == []


def test_a_second_run_keeps_finished_videos_and_other_settings_prepare_them_again(real_video, tmp_path):
    root = tmp_path / 'videos'
    root.mkdir()
    for name in ('a.avi', 'b.mp4'):
        shutil.copy(real_video, root / name)
    (tmp_path / 'list.txt').write_text('a.avi 3\nb.mp4 1\n')
    first = prepare_dataset(str(tmp_path / 'list.txt'), str(root), str(tmp_path / 'out'), SMALL, progress=False)
    assert len(first['prepared']) == 2 and (tmp_path / 'out' / 'list.txt').read_text() == 'a.mp4 3\nb.mp4 1\n'
    written = {name: os.stat(tmp_path / 'out' / name).st_mtime_ns for name in ('a.mp4', 'b.mp4')}
    again = prepare_dataset(str(tmp_path / 'list.txt'), str(root), str(tmp_path / 'out'), SMALL, progress=False)
    assert (len(again['prepared']), len(again['kept'])) == (0, 2)
    assert written == {name: os.stat(tmp_path / 'out' / name).st_mtime_ns for name in written}
    (tmp_path / 'out' / 'b.mp4').write_bytes(b'not the recorded file')
    other = prepare_dataset(str(tmp_path / 'list.txt'), str(root), str(tmp_path / 'out'),
                            EncodingSettings(short_side=64, crf=30), progress=False)
    assert (len(other['prepared']), len(other['kept'])) == (2, 0)


def test_a_killed_run_leaves_only_whole_videos_and_the_next_run_finishes(real_video, tmp_path):
    root = tmp_path / 'videos'
    root.mkdir()
    names = [f'v{i}.mp4' for i in range(6)]
    for name in names:
        shutil.copy(real_video, root / name)
    (tmp_path / 'list.txt').write_text(''.join(f'{name} 0\n' for name in names))
    out = tmp_path / 'out'
    command = [sys.executable, str(REPO / 'tools/data/prepare_videos.py'), str(tmp_path / 'list.txt'), str(root),
               str(out), '--workers', '1', '--no-progress']
    run = subprocess.Popen(command, start_new_session=True)
    deadline = time.monotonic() + 120
    while not any(out.glob('v*.mp4')) or not any(name.endswith('.partial') for name in os.listdir(out)):
        assert run.poll() is None and time.monotonic() < deadline, 'the run ended before it could be killed'
        time.sleep(0.02)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    finished = sorted(path.name for path in out.glob('v*.mp4'))
    assert 0 < len(finished) < len(names)
    assert all(open_video(str(out / name)).num_frames == 120 for name in finished)   # no half-written video
    assert subprocess.run(command, capture_output=True).returncode == 0
    assert sorted(path.name for path in out.glob('v*.mp4')) == names
    assert not [name for name in os.listdir(out) if name.endswith('.partial')]
    records = [json.loads(line) for line in (out / 'list.manifest.jsonl').read_text().splitlines() if line]
    assert len({record['output'] for record in records}) == len(names)


def test_an_output_over_its_source_and_two_sources_on_one_output_are_refused(real_video, tmp_path, capsys):
    shutil.copy(real_video, tmp_path / 'a.mp4')
    shutil.copy(real_video, tmp_path / 'a.avi')
    (tmp_path / 'list.txt').write_text('a.mp4 0\n')
    with pytest.raises(SystemExit):
        sys.argv = ['prepare_videos.py', str(tmp_path / 'list.txt'), str(tmp_path), str(tmp_path)]
        from loki_video.tool_main import run_main
        run_main(prepare_videos.main)
    assert 'a.mp4: its output would overwrite the source' in capsys.readouterr().err
    (tmp_path / 'list.txt').write_text('a.mp4 0\na.avi 1\n')
    with pytest.raises(ValueError, match='a.mp4 and a.avi would both be prepared as a.mp4'):
        prepare_videos.main([str(tmp_path / 'list.txt'), str(tmp_path), str(tmp_path / 'out')])


def test_a_prepared_list_trains_with_only_the_data_root_changed(tmp_path, train_config):
    from loki_video.datasets.synthetic_actions import generate_dataset

    from tiny_runner import TINY_CONFIG
    generate_dataset(str(tmp_path / 'data'), dict(train=1), num_frames=16, size=(40, 32))
    assert prepare_videos.main([str(tmp_path / 'data' / 'train_list.txt'), str(tmp_path / 'data'),
                                str(tmp_path / 'prepared'), '--short-side', '36', '--no-progress']) == 0
    assert len((tmp_path / 'prepared' / 'train_list.txt').read_text().splitlines()) == 8
    checkpoint = train_config(str(TINY_CONFIG), str(tmp_path / 'work'), dict(train_dataloader=dict(dataset=dict(
        data_root=str(tmp_path / 'prepared'), ann_file='train_list.txt'))), epochs=1)
    assert os.path.isfile(checkpoint)
