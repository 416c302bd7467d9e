"""Predictions over sliding windows of a long video, decoded window by window.

The video is opened once by the test pipeline's own opening step (``VideoInit``); every window then
runs the rest of the pipeline with ``total_frames`` set to the window's frames and ``start_index`` to
its first frame, so the config's frame sampling (``SampleFrames``, its views) applies inside each
window and only the sampled frames are decoded: memory does not grow with the video's length.
"""
import math
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

import torch
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import TRANSFORMS
from torch import nn
from tqdm import tqdm

from loki_video.datasets.multi_view import Views
from loki_video.user_error import UserValueError

from .inference import prediction_records, sample_scores, top_predictions
from .inputs import UnreadableInputError, inference_pipeline


@dataclass
class Window:
    """Frames ``[first, first + frames)`` of a video, ``start`` to ``end`` in seconds."""
    first: int
    frames: int
    start: float
    end: float


def sliding_windows(total_frames: int, fps: float, window: float, stride: float) -> List[Window]:
    """Windows of ``window`` seconds every ``stride`` seconds over ``total_frames`` frames at ``fps``; the last
    one ends with the video (a video shorter than a window is one window)."""
    if window <= 0 or stride <= 0:
        raise UserValueError(f'--window and --stride must be positive seconds, got {window} and {stride}')
    size = max(1, min(total_frames, round(window * fps)))
    step = max(1, round(stride * fps))
    firsts = list(range(0, total_frames - size + 1, step))
    if firsts[-1] + size < total_frames:
        firsts.append(total_frames - size)
    return [Window(first, size, first / fps, (first + size) / fps) for first in firsts]


def window_predictions(model: nn.Module, video: str, window: float, stride: float,
                       views: Optional[Views] = None, batch: int = 8, topk: int = 5,
                       labels: Optional[Sequence[str]] = None, progress: bool = True) -> List[dict]:
    """``[{'start', 'end', 'predictions'}]`` for ``video``: seconds, and the window's top ``topk`` classes
    ``[{'index', 'score', 'name'}]`` (name None without ``labels``)."""
    pipeline = inference_pipeline(model.cfg, views)
    if not pipeline[0]['type'].endswith('Init'):
        raise UserValueError(f'the test pipeline starts with {pipeline[0]["type"]}, not a video-opening step '
                             '(VideoInit, DecordInit): long videos are decoded window by window')
    try:
        opened = TRANSFORMS.build(pipeline[0])(dict(filename=video, label=-1, start_index=0, modality='RGB'))
    except Exception as error:  # noqa: BLE001  (whatever the decoder raises on a file it cannot open)
        raise UnreadableInputError.of_video(video, error) from error
    rate = opened.get('avg_fps')
    if not opened.get('total_frames'):
        raise UserValueError(f'{video}: no frames to read (an empty or truncated video)')
    if not rate or not math.isfinite(rate) or rate <= 0:
        raise UserValueError(f'{video}: no frame rate in its header, so windows in seconds cannot be placed; '
                             're-encode it at a constant rate: ffmpeg -i IN -r 30 OUT.mp4')
    rest = Compose(pipeline[1:])
    windows = sliding_windows(opened['total_frames'], rate, window, stride)
    results = []
    with tqdm(total=len(windows), desc='windows', disable=not progress) as bar:
        for begin in range(0, len(windows), batch):
            chunk = windows[begin:begin + batch]
            samples = [rest(dict(opened, total_frames=w.frames, start_index=w.first)) for w in chunk]
            with torch.no_grad():
                outputs = model.test_step(pseudo_collate(samples))
            for w, output in zip(chunk, outputs):
                best = prediction_records(top_predictions(sample_scores(output), topk, labels))
                results.append(dict(start=w.start, end=w.end, predictions=best))
            bar.update(len(chunk))
    return results


def predictions_at(results: Sequence[dict]) -> Callable[[float], list]:
    """``seconds -> predictions`` of the window whose centre is nearest (for drawing on every frame)."""
    centres = torch.tensor([(r['start'] + r['end']) / 2 for r in results])

    def nearest(seconds):
        return results[int((centres - seconds).abs().argmin())]['predictions']
    return nearest
