"""ClipLighting (AIM's ColorJitter: PCA lighting noise, one offset per clip) on a real clip."""
import decord
import numpy as np

from loki_video.datasets import ClipLighting
from loki_video.datasets.transforms.clip_lighting import EIG_VAL, EIG_VEC


def test_one_offset_per_clip_along_the_principal_components(real_video):
    clip = list(decord.VideoReader(real_video).get_batch([0, 50, 100]).asnumpy())
    np.random.seed(0)
    transform, offsets = ClipLighting(), []
    for _ in range(500):
        out = transform(dict(imgs=list(clip)))
        shifts = [o - f.astype(np.float32) for o, f in zip(out['imgs'], clip)]
        assert all(s.dtype == np.float32 and np.allclose(s, out['lighting'], atol=1e-4) for s in shifts)
        offsets.append(out['lighting'])
    # each principal component's weight has std alpha_std * eigenvalue
    along = np.asarray(offsets) @ np.asarray(EIG_VEC)
    assert np.allclose(along.std(0), 0.1 * np.asarray(EIG_VAL), rtol=0.12)
