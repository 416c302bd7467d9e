"""Attention maps drawn over frames: heat-map overlays and a frames-by-overlays grid."""
import cv2
import numpy as np

GRID_GAP = 4          # pixels between cells
MIN_CELL_SIDE = 160   # small frames are enlarged to at least this short side


def heatmap(attention_map, size):
    """An (h, w) map upsampled to ``size`` (H, W) and coloured (JET): (H, W, 3) uint8 RGB.

    The map is scaled by its own maximum, so each frame uses the full colour range.
    """
    height, width = size
    upsampled = cv2.resize(np.asarray(attention_map, np.float32), (width, height),
                           interpolation=cv2.INTER_CUBIC)
    scaled = np.clip(upsampled / max(float(upsampled.max()), 1e-12), 0, 1)
    coloured = cv2.applyColorMap((scaled * 255).astype(np.uint8), cv2.COLORMAP_JET)
    return cv2.cvtColor(coloured, cv2.COLOR_BGR2RGB)


def overlay(frame, attention_map, alpha=0.5):
    """Blend the heat map of an (h, w) attention map onto an (H, W, 3) uint8 RGB frame."""
    colour = heatmap(attention_map, frame.shape[:2])
    return cv2.addWeighted(frame, 1 - alpha, colour, alpha, 0)


def _enlarge(image, scale):
    if scale == 1:
        return image
    height, width = image.shape[:2]
    return cv2.resize(image, (width * scale, height * scale), interpolation=cv2.INTER_NEAREST)


def attention_grid(frames, maps, alpha=0.5, min_side=MIN_CELL_SIDE):
    """Frames in columns; the frames in the first row, their overlays in the second.

    Args:
        frames: (T, H, W, 3) uint8 RGB.
        maps: (T, h, w) attention maps, one per frame.
        min_side: frames with a shorter side are enlarged by an integer factor
            (nearest neighbour) before the map is drawn, so small inputs stay legible.

    Returns:
        (2 * H' + 3 * gap, T * W' + (T + 1) * gap, 3) uint8 RGB image on white.
    """
    frames = np.asarray(frames)
    maps = np.asarray(maps)
    if len(frames) != len(maps):
        raise ValueError(f'{len(frames)} frames but {len(maps)} attention maps')
    scale = max(1, -(-min_side // min(frames.shape[1:3])))
    cells = [_enlarge(frame, scale) for frame in frames]
    height, width = cells[0].shape[:2]
    grid = np.full((2 * height + 3 * GRID_GAP, len(cells) * (width + GRID_GAP) + GRID_GAP, 3), 255, np.uint8)
    for t, (cell, attention_map) in enumerate(zip(cells, maps)):
        left = GRID_GAP + t * (width + GRID_GAP)
        grid[GRID_GAP:GRID_GAP + height, left:left + width] = cell
        grid[2 * GRID_GAP + height:2 * GRID_GAP + 2 * height, left:left + width] = \
            overlay(cell, attention_map, alpha)
    return grid


def save_rgb(path, image):
    """Write an (H, W, 3) uint8 RGB image (PNG from the extension)."""
    if not cv2.imwrite(path, cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
        raise OSError(f'could not write {path}; check the folder exists and the extension is an image one')
