"""Attention maps drawn over frames: heat-map overlays and a frames-by-overlays grid with a
colour bar, the maps' range and a title.

mmengine's ``convert_overlay_heatmap`` scales every map to its own minimum and maximum; the
overlays here share one range across a clip (so its frames compare) and draw a flat map as flat,
which that function cannot be told to do.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from loki_video.user_error import UserValueError

GRID_GAP = 4          # pixels between cells
MIN_CELL_SIDE = 160   # small frames are enlarged to at least this short side
BAR_HEIGHT = 12       # the colour bar of the grid's header
TEXT_HEIGHT = 18      # one line of header text
FONT = cv2.FONT_HERSHEY_SIMPLEX
FONT_SCALE = 0.45


def _colour(scaled):
    """Values in [0, 1] (any shape) -> JET colours, uint8 RGB (..., 3)."""
    coloured = cv2.applyColorMap((np.clip(scaled, 0, 1) * 255).astype(np.uint8), cv2.COLORMAP_JET)
    return cv2.cvtColor(coloured, cv2.COLOR_BGR2RGB)


def is_flat(value_range: Tuple[float, float]) -> bool:
    """Whether a ``(low, high)`` range has no spread worth colouring (all values alike)."""
    low, high = value_range
    return high - low <= 1e-6 * max(abs(high), 1e-12)


def heatmap(attention_map: np.ndarray, size: Tuple[int, int],
            value_range: Optional[Tuple[float, float]] = None) -> np.ndarray:
    """An (h, w) map upsampled to ``size`` (H, W) and coloured (JET) over ``value_range``
    (default: the map's own minimum to maximum): (H, W, 3) uint8 RGB.

    A flat map (no spread) is all the colour of the low end, blue: nothing stands out.
    """
    height, width = size
    attention_map = np.asarray(attention_map, np.float32)
    low, high = value_range or (float(attention_map.min()), float(attention_map.max()))
    upsampled = cv2.resize(attention_map, (width, height), interpolation=cv2.INTER_CUBIC)
    if is_flat((low, high)):
        return _colour(np.zeros((height, width), np.float32))
    return _colour((upsampled - low) / (high - low))


def overlay(frame: np.ndarray, attention_map: np.ndarray, alpha: float = 0.5,
            value_range: Optional[Tuple[float, float]] = None) -> np.ndarray:
    """Blend the heat map of an (h, w) attention map onto an (H, W, 3) uint8 RGB frame."""
    colour = heatmap(attention_map, frame.shape[:2], value_range)
    return cv2.addWeighted(frame, 1 - alpha, colour, alpha, 0)


def _put_text(image, text, left, baseline) -> None:
    cv2.putText(image, text, (int(left), int(baseline)), FONT, FONT_SCALE, (0, 0, 0), 1, cv2.LINE_AA)


def _text_width(text):
    return cv2.getTextSize(text, FONT, FONT_SCALE, 1)[0][0]


def grid_header(width: int, value_range: Tuple[float, float], num_patches: int,
                title: Optional[str] = None) -> np.ndarray:
    """The band above the grid: ``title`` (if any), a colour bar, and the values at its ends as
    multiples of uniform attention (``1 / num_patches``): (h, width, 3) uint8 RGB on white."""
    title_height = TEXT_HEIGHT if title else 0
    header = np.full((title_height + BAR_HEIGHT + TEXT_HEIGHT + 2 * GRID_GAP, width, 3), 255, np.uint8)
    if title:
        _put_text(header, title, GRID_GAP, TEXT_HEIGHT - 5)
    top = title_height + GRID_GAP
    ramp = np.linspace(0, 1, width - 2 * GRID_GAP, dtype=np.float32)[None].repeat(BAR_HEIGHT, 0)
    header[top:top + BAR_HEIGHT, GRID_GAP:width - GRID_GAP] = _colour(ramp)
    low, high = (value * num_patches for value in value_range)
    baseline = top + BAR_HEIGHT + TEXT_HEIGHT - 5
    if is_flat(value_range):
        _put_text(header, f'flat map: {low:.2f}x uniform everywhere', GRID_GAP, baseline)
        return header
    right = f'{high:.2f}x'
    _put_text(header, f'{low:.2f}x uniform', GRID_GAP, baseline)
    _put_text(header, right, width - GRID_GAP - _text_width(right), baseline)
    return header


def _enlarge(image, scale):
    if scale == 1:
        return image
    height, width = image.shape[:2]
    return cv2.resize(image, (width * scale, height * scale), interpolation=cv2.INTER_NEAREST)


def attention_grid(frames: Sequence[np.ndarray], maps: Sequence[np.ndarray], alpha: float = 0.5,
                   min_side: int = MIN_CELL_SIDE, title: Optional[str] = None) -> np.ndarray:
    """Frames in columns; the frames in the first row, their overlays in the second, under a
    header (:func:`grid_header`: ``title``, colour bar, range).

    All overlays share one colour scale, the clip's lowest to highest attention, so frames
    compare; a flat clip is drawn blue and says so.

    Args:
        frames (Sequence[np.ndarray]): (T, H, W, 3) uint8 RGB.
        maps (Sequence[np.ndarray]): (T, h, w) attention maps, one per frame, each summing to 1 over its patches.
        min_side (int): frames with a shorter side are enlarged by an integer factor
            (nearest neighbour) before the map is drawn, so small inputs stay legible. Defaults to ``MIN_CELL_SIDE``.
        title (str, optional): a line above the colour bar, e.g. the predicted class. Defaults to None.

    Returns:
        (header + 2 * H' + 3 * gap, T * W' + (T + 1) * gap, 3) uint8 RGB image on white.
    """
    frames = np.asarray(frames)
    maps = np.asarray(maps)
    if len(frames) != len(maps):
        raise UserValueError(f'{len(frames)} frames but {len(maps)} attention maps')
    value_range = (float(maps.min()), float(maps.max()))
    scale = max(1, -(-min_side // min(frames.shape[1:3])))
    cells = [_enlarge(frame, scale) for frame in frames]
    height, width = cells[0].shape[:2]
    grid = np.full((2 * height + 3 * GRID_GAP, len(cells) * (width + GRID_GAP) + GRID_GAP, 3), 255, np.uint8)
    for t, (cell, attention_map) in enumerate(zip(cells, maps)):
        left = GRID_GAP + t * (width + GRID_GAP)
        grid[GRID_GAP:GRID_GAP + height, left:left + width] = cell
        grid[2 * GRID_GAP + height:2 * GRID_GAP + 2 * height, left:left + width] = \
            overlay(cell, attention_map, alpha, value_range)
    return np.concatenate([grid_header(grid.shape[1], value_range, maps[0].size, title), grid])


def save_rgb(path: str, image: np.ndarray) -> None:
    """Write an (H, W, 3) uint8 RGB image (PNG from the extension)."""
    if not cv2.imwrite(path, cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
        raise OSError(f'could not write {path}; check the folder exists and the extension is an image one')
