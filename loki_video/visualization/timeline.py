"""The classes of a long video over time, as one picture (:func:`plot_timeline`).

Top: a strip coloured by each window's best class, named where a class holds; below: the score of
every class that is best in some window, at the windows' centres; the time axis in seconds.
"""
from typing import Optional, Sequence

from .labelled_video import class_name

CHARACTER_WIDTH = 0.0095  # of the strip's width, a character of the 8-point names at the figure's 10 inches


def plot_timeline(windows: Sequence[dict], out: str, title: Optional[str] = None) -> None:
    """Write ``windows`` (``[{'start', 'end', 'predictions'}]`` of ``long_video.window_predictions``) to the
    image ``out``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    best = [class_name(w['predictions'][0]) for w in windows]
    classes = list(dict.fromkeys(best))
    colours = {name: plt.get_cmap('tab10')(i % 10) for i, name in enumerate(classes)}
    figure, (strip, scores) = plt.subplots(2, 1, figsize=(10, 3.6), sharex=True,
                                           gridspec_kw=dict(height_ratios=(1, 3)))
    for i, window in enumerate(windows):   # each window's share of the strip: up to the next window's start
        end = windows[i + 1]['start'] if i + 1 < len(windows) else window['end']
        strip.axvspan(window['start'], end, color=colours[best[i]])
    run_start, span = 0, windows[-1]['end'] - windows[0]['start']
    for i in range(1, len(windows) + 1):   # a name on each run of one best class that is wide enough for it
        if i == len(windows) or best[i] != best[run_start]:
            first, last = windows[run_start]['start'], windows[i - 1]['end']
            if last - first >= CHARACTER_WIDTH * len(best[run_start]) * span:
                strip.text((first + last) / 2, 0.5, best[run_start], ha='center', va='center', fontsize=8)
            run_start = i
    strip.set_yticks([])
    strip.set_ylabel('best', rotation=0, ha='right', va='center')
    centres = [(w['start'] + w['end']) / 2 for w in windows]
    for name in classes:
        values = [next((p['score'] for p in w['predictions'] if class_name(p) == name), 0.0) for w in windows]
        scores.plot(centres, values, color=colours[name], label=name)
    scores.set_xlabel('time (s)')
    scores.set_ylabel('score')
    scores.set_ylim(0, 1)
    scores.legend(loc='upper left', bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    if title:
        strip.set_title(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(out, dpi=120)
    plt.close(figure)
