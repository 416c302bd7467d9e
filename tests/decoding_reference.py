"""What the decoding tests compare with: frames decoded in order by decord, and the backends to run."""
import decord
import numpy as np
import pytest

from loki_video.datasets import video_reader

BACKENDS = ('decord', pytest.param('torchcodec', marks=pytest.mark.skipif(
    bool(video_reader.torchcodec_error()), reason=video_reader.torchcodec_error() or 'torchcodec loads')))


def reference(path, indices):
    """Frames decoded one after the other from the first, read with decord's next() (no seek at all)."""
    reader, frames = decord.VideoReader(path, num_threads=1), {}
    for index in range(max(indices) + 1):
        frame = reader.next().asnumpy()
        if index in set(indices):
            frames[index] = frame
    return [frames[i] for i in indices]


def same_frames(got, want):
    """Whether two lists of frames are equal, pixel for pixel."""
    return len(got) == len(want) and all(np.array_equal(g, w) for g, w in zip(got, want))
