"""Heat-map overlays and the frames-by-overlays grid."""
import cv2
import numpy as np
import pytest

from loki_video.visualization import attention_grid, heatmap, overlay, save_rgb
from loki_video.visualization.overlay import grid_header


def test_heatmap_is_hot_where_the_map_peaks():
    attention_map = np.zeros((4, 4), np.float32)
    attention_map[0, 3] = 1.0
    coloured = heatmap(attention_map, (64, 64))
    assert coloured.shape == (64, 64, 3) and coloured.dtype == np.uint8
    red_minus_blue = coloured[..., 0].astype(int) - coloured[..., 2].astype(int)
    assert red_minus_blue[8, 56] > 100 > red_minus_blue[56, 8]      # top right red, bottom left blue


def test_grid_holds_frames_above_overlays(tmp_path):
    frames = np.random.default_rng(0).integers(0, 255, (3, 48, 40, 3), dtype=np.uint8)
    maps = np.random.default_rng(1).random((3, 6, 5))
    grid = attention_grid(frames, maps, min_side=80, title='move_up: top-1 move_up (0.910)')
    scale, gap = 2, 4
    width = 3 * (40 * scale + gap) + gap
    header = grid_header(width, (maps.min(), maps.max()), 30, 'move_up: top-1 move_up (0.910)')
    assert np.array_equal(grid[:len(header)], header)
    grid = grid[len(header):]
    assert grid.shape == (2 * 48 * scale + 3 * gap, width, 3)
    first = cv2.resize(frames[0], (80, 96), interpolation=cv2.INTER_NEAREST)
    assert np.array_equal(grid[gap:gap + 96, gap:gap + 80], first)
    # one colour scale for the clip: the clip's range, not the frame's own
    assert np.array_equal(grid[2 * gap + 96:2 * gap + 192, gap:gap + 80],
                          overlay(first, maps[0], value_range=(maps.min(), maps.max())))
    path = str(tmp_path / 'grid.png')
    save_rgb(path, grid)
    assert np.array_equal(cv2.imread(path)[..., ::-1], grid)


def test_a_flat_map_is_blue_and_the_header_says_so():
    flat = np.full((4, 4), 1 / 16, np.float32)
    coloured = heatmap(flat, (32, 32))
    assert (coloured[..., 2].astype(int) - coloured[..., 0] > 100).all()  # blue, not solid red
    grid = attention_grid(np.zeros((2, 32, 32, 3), np.uint8), np.stack([flat, flat]))
    header = grid_header(grid.shape[1], (1 / 16, 1 / 16), 16)
    assert np.array_equal(grid[:len(header)], header)
    assert not np.array_equal(header, grid_header(grid.shape[1], (0.0, 1 / 8), 16))  # other text


def test_header_has_a_colour_bar_from_blue_to_red_and_a_title_line():
    header = grid_header(200, (0.01, 0.2), 16, title='a title')
    without = grid_header(200, (0.01, 0.2), 16)
    assert len(header) == len(without) + 18 and (header[:18] < 255).any()  # the title's text
    bar = without[4 + 6]  # the middle row of the colour bar
    assert bar[4, 2] > 100 > bar[4, 0] and bar[195, 0] > 100 > bar[195, 2]  # blue at the low end, red at the high


def test_grid_rejects_mismatched_maps():
    with pytest.raises(ValueError, match='2 frames but 3 attention maps'):
        attention_grid(np.zeros((2, 8, 8, 3), np.uint8), np.ones((3, 2, 2)))
