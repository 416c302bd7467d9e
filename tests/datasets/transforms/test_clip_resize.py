"""ClipResize: mmaction2's Resize, bit for bit, that leaves a clip already at its size untouched."""
import numpy as np
import pytest
from mmaction.datasets.transforms import Resize

from loki_video.datasets.transforms import ClipResize


def clip(height, width):
    rng = np.random.default_rng(0)
    return dict(imgs=[rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(4)],
                img_shape=(height, width))


@pytest.mark.parametrize('scale, keep_ratio, size', [((-1, 256), True, (144, 176)), ((-1, 256), True, (256, 312)),
                                                     ((224, 224), False, (200, 180))])
def test_the_same_frames_and_keys_as_mmaction2s_resize(scale, keep_ratio, size):
    ours, theirs = ClipResize(scale=scale, keep_ratio=keep_ratio)(clip(*size)), Resize(scale, keep_ratio)(clip(*size))
    assert ours.keys() == theirs.keys() and ours['img_shape'] == theirs['img_shape']
    assert np.array_equal(ours['scale_factor'], theirs['scale_factor'])
    assert all(np.array_equal(a, b) and a.dtype == np.uint8 for a, b in zip(ours['imgs'], theirs['imgs']))


def test_frames_already_at_the_size_are_not_copied():
    results = clip(256, 312)
    frames = list(results['imgs'])
    out = ClipResize(scale=(-1, 256))(results)
    assert all(a is b for a, b in zip(out['imgs'], frames)) and out['img_shape'] == (256, 312)
