"""Everything the web demo shows of one video and one model, computed with the project's own tools.

:func:`analyse_video` checks the file (size limit, empty, not a video, too few frames: a
:class:`~loki_video.user_error.UserError` with one line for a person), then gives the top-k classes
(``predict``), the video with them drawn on every frame (``write_labelled_video``), the class token's
attention over the frames of one view (``input_attention``, ``attention_grid``) and, for a video longer
than one window, the timeline of ``tools/long_video_demo.py`` (``window_predictions``,
``plot_timeline``). Files are written in the folder it is given.
"""
import os
import os.path as osp
from typing import Callable, Optional

import numpy as np
from torch import nn

from loki_video.apis import predict
from loki_video.apis.input_attention import input_attention
from loki_video.apis.long_video import window_predictions
from loki_video.datasets.video_reader import open_video
from loki_video.user_error import UserValueError
from loki_video.visualization import attention_grid
from loki_video.visualization.labelled_video import write_labelled_video
from loki_video.visualization.timeline import plot_timeline

MIN_FRAMES = 2  # fewer cannot be told from a still image


def check_video(path: str, max_bytes: int) -> tuple:
    """``(frames, seconds)`` of a video that can be analysed; else one line saying why not.

    Raises:
        UserValueError: over ``max_bytes``, empty, not a video, or fewer than :data:`MIN_FRAMES` frames.
    """
    size = os.path.getsize(path)
    name = osp.basename(path)
    if size == 0:
        raise UserValueError(f'{name} is empty')
    if size > max_bytes:
        raise UserValueError(f'{name} has {size / 2**20:.1f} MB, over the limit of {max_bytes / 2**20:.0f} MB')
    try:
        reader = open_video(path)
    except Exception:  # noqa: BLE001 - whatever the decoder raises on a file it cannot open
        raise UserValueError(f'{name} is not a video that can be decoded') from None
    if reader.num_frames < MIN_FRAMES:
        raise UserValueError(f'{name} has {reader.num_frames} frame{"s" if reader.num_frames != 1 else ""}: '
                             f'a video of at least {MIN_FRAMES} is needed')
    return reader.num_frames, reader.num_frames / reader.fps if reader.fps else 0.


def analyse_video(model: nn.Module, path: str, folder: str, topk: int = 5, max_bytes: int = 200 * 2**20,
                  window: float = 2.0, progress: Optional[Callable[[float, str], None]] = None) -> dict:
    """The results of ``model`` on the video at ``path`` (module docstring).

    Returns:
        ``dict(predictions=[{'index', 'score', 'name'}], labelled_video=path, attention=(H, W, 3) uint8 RGB,
        timeline=path or None, frames=int, seconds=float)``.
    """
    def step(fraction, what):
        if progress is not None:
            progress(fraction, what)
    step(0.0, 'reading the video')
    frames, seconds = check_video(path, max_bytes)
    names = getattr(model, 'class_names', None)
    step(0.1, 'classifying')
    predictions = predict(model, path, topk, labels=names)
    step(0.3, 'class-token attention')
    clip, maps, _ = input_attention(model, path)
    best = predictions[0]
    attention = attention_grid(clip, maps, title=f"top-1 {best['name'] or best['index']} ({best['score']:.3f})")
    step(0.5, 'drawing the classes on the video')
    stem = osp.join(folder, osp.splitext(osp.basename(path))[0])
    labelled = f'{stem}_labelled.mp4'
    write_labelled_video(path, labelled, predictions)
    timeline = None
    if seconds > window:
        step(0.7, 'classes over time')
        windows = window_predictions(model, path, window, window / 2, topk=topk, labels=names, progress=False)
        timeline = f'{stem}_timeline.png'
        plot_timeline(windows, timeline, title=osp.basename(path))
    step(1.0, 'done')
    return dict(predictions=predictions, labelled_video=labelled, attention=np.ascontiguousarray(attention),
                timeline=timeline, frames=frames, seconds=seconds)
