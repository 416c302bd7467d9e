"""tools/analysis/decoder_benchmark.py on real files: the wrong frames of a bad seek are counted."""
import json

import pytest

from loki_video.analysis.decoders import available_decoders, clip_indices

from tool_loading import load_tool


def test_clips_spread_over_the_video():
    clips = clip_indices(280, 3, 8)
    assert [c[0] for c in clips] == [0, 70, 140] and all(len(c) == 8 and c[-1] - c[0] == 139 for c in clips)
    assert clip_indices(5, 2, 8)[0].tolist() == [0, 1, 1, 2, 2, 3, 3, 4]  # shorter than a clip: frames repeat


def test_benchmark_counts_wrong_frames_per_decoder(cockatoo, real_video, tmp_path, capsys):
    assert {'decord', 'opencv'} <= set(available_decoders())
    out = tmp_path / 'decoders.json'
    tool = load_tool('tools/analysis/decoder_benchmark.py')
    tool.main([cockatoo, real_video, '--decoders', 'decord', 'opencv', '--clips', '2', '--repeat', '1',
               '--json', str(out)])
    report = json.loads(out.read_text())
    bad, clean = report['videos'][cockatoo], report['videos'][real_video]
    assert bad['decord']['wrong'] > 0 and bad['opencv']['wrong'] == 0 and bad['decord']['frames'] == 16
    assert clean['decord']['wrong'] == clean['opencv']['wrong'] == 0
    assert all(row[name]['ms_per_clip'] > 0 for row in (bad, clean) for name in ('decord', 'opencv'))
    assert 'cockatoo.mp4' in capsys.readouterr().out


def test_benchmark_refuses_a_decoder_that_cannot_run(real_video, monkeypatch):
    tool = load_tool('tools/analysis/decoder_benchmark.py')
    monkeypatch.setattr(tool, 'available_decoders', lambda: ['decord'])
    with pytest.raises(SystemExit, match='decoders not available here: pyav'):
        tool.main([real_video, '--decoders', 'pyav'])
