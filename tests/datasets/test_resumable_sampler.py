"""ResumableSampler: DefaultSampler's order, with the consumed part of one epoch left out."""
import pytest
from mmengine.dataset import DefaultSampler

from loki_video.datasets import ResumableSampler


def test_it_yields_default_samplers_order_and_skips_in_the_given_epoch_only():
    dataset = list(range(10))
    default, resumable = DefaultSampler(dataset, seed=3), ResumableSampler(dataset, seed=3)
    for sampler in (default, resumable):
        sampler.set_epoch(2)
    order = list(default)
    assert list(resumable) == order
    resumable.skip(epoch=2, num_samples=4)
    assert list(resumable) == order[4:] and len(resumable) == 6
    resumable.set_epoch(3)
    default.set_epoch(3)
    assert list(resumable) == list(default) and len(resumable) == 10


def test_it_refuses_to_skip_a_whole_epoch():
    with pytest.raises(ValueError, match='cannot skip 10 of the 10 samples of an epoch on this rank'):
        ResumableSampler(list(range(10)), seed=0).skip(epoch=0, num_samples=10)
