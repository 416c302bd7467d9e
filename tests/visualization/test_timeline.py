"""loki_video.visualization.timeline: the best class over time, named where its run is wide enough."""
import matplotlib.axes

from loki_video.visualization.timeline import plot_timeline


def test_runs_too_short_for_their_name_are_left_unnamed(tmp_path, monkeypatch):
    best = ['riding a bike'] * 40 + ['juggling balls'] + [None] * 59   # None: no label names, "class 7"
    windows = [dict(start=i, end=i + 2, predictions=[dict(name=name, index=7, score=0.9)])
               for i, name in enumerate(best)]
    named = []
    real_text = matplotlib.axes.Axes.text
    monkeypatch.setattr(matplotlib.axes.Axes, 'text', lambda self, x, y, text, **kwargs: (
        named.append(text), real_text(self, x, y, text, **kwargs))[1])
    plot_timeline(windows, str(tmp_path / 'timeline.png'))
    assert named == ['riding a bike', 'class 7'] and (tmp_path / 'timeline.png').stat().st_size > 0
