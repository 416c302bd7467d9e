"""ClipFlipCrop (imgaug RandAugment's flip and crop, one draw per clip) on a real clip, statistically."""
import cv2
import decord
import numpy as np
import pytest

from loki_video.datasets import ClipFlipCrop

DRAWS = 400


@pytest.fixture(scope='module')
def clip(real_video):
    """8 frames of a real 176x144 video."""
    return list(decord.VideoReader(real_video).get_batch(list(range(0, 120, 15))).asnumpy())


def test_flip_rate_is_near_one_half_and_flips_the_whole_clip(clip):
    np.random.seed(0)
    transform, flips = ClipFlipCrop(flip_ratio=0.5, max_crop=0), 0
    for _ in range(DRAWS):
        out = transform(dict(imgs=list(clip)))
        flipped = [np.array_equal(o, f[:, ::-1]) for o, f in zip(out['imgs'], clip)]
        kept = [np.array_equal(o, f) for o, f in zip(out['imgs'], clip)]
        assert all(flipped) or all(kept)          # every frame alike
        assert all(flipped) == out['flip_crop']['flip']
        flips += all(flipped)
    assert abs(flips / DRAWS - 0.5) < 0.075      # binomial sd 0.025


def test_crop_stays_within_m_pixels_per_side_and_is_the_same_for_every_frame(clip):
    np.random.seed(1)
    height, width = clip[0].shape[:2]
    # at most 7/224 of the side, rounded: 4 of 144 rows, 5 of 176 columns (top, right, bottom, left)
    bounds = tuple(int(np.ceil(7 / 224 * side - 0.5)) for side in (height, width)) * 2
    transform, crops = ClipFlipCrop(flip_ratio=0, max_crop=7), []
    for _ in range(DRAWS // 4):
        out = transform(dict(imgs=list(clip)))
        top, right, bottom, left = crop = out['flip_crop']['crop']
        assert all(0 <= c <= b for c, b in zip(crop, bounds)), crop
        for got, frame in zip(out['imgs'], clip):
            want = cv2.resize(np.ascontiguousarray(frame[top:height - bottom, left:width - right]), (width, height))
            assert got.shape == frame.shape and np.array_equal(got, want)
        crops.append(crop)
    crops = np.array(crops)
    assert (crops.max(0) == bounds).all() and (crops.min(0) == 0).all()   # the whole range is drawn
    assert len({tuple(c) for c in crops}) > DRAWS // 8                     # sides drawn independently


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='flip_ratio must be in'):
        ClipFlipCrop(flip_ratio=1.5)
