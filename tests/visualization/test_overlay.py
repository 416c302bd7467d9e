"""Heat-map overlays and the frames-by-overlays grid."""
import cv2
import numpy as np
import pytest

from loki_video.visualization import attention_grid, heatmap, overlay, save_rgb


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
    grid = attention_grid(frames, maps, min_side=80)
    scale, gap = 2, 4
    assert grid.shape == (2 * 48 * scale + 3 * gap, 3 * (40 * scale + gap) + gap, 3)
    first = cv2.resize(frames[0], (80, 96), interpolation=cv2.INTER_NEAREST)
    assert np.array_equal(grid[gap:gap + 96, gap:gap + 80], first)
    assert np.array_equal(grid[2 * gap + 96:2 * gap + 192, gap:gap + 80], overlay(first, maps[0]))
    path = str(tmp_path / 'grid.png')
    save_rgb(path, grid)
    assert np.array_equal(cv2.imread(path)[..., ::-1], grid)


def test_grid_rejects_mismatched_maps():
    with pytest.raises(ValueError, match='2 frames but 3 attention maps'):
        attention_grid(np.zeros((2, 8, 8, 3), np.uint8), np.ones((3, 2, 2)))
