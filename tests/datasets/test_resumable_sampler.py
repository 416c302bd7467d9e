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
    with pytest.raises(ValueError, match='cannot resume after 10 samples of an epoch of 10: the checkpoint was saved'):
        ResumableSampler(list(range(10)), seed=0).skip(epoch=0, num_samples=10)


def ranks(world_size, dataset, seed=5, epoch=1):
    """A ResumableSampler per rank of ``world_size`` processes, at ``epoch``."""
    from unittest import mock
    samplers = []
    for rank in range(world_size):
        with mock.patch('mmengine.dataset.sampler.get_dist_info', return_value=(rank, world_size)):
            samplers.append(ResumableSampler(dataset, seed=seed))
        samplers[-1].set_epoch(epoch)
    return samplers


def trained(samplers, batch_size, batches=None):
    """The indices every rank trains in its first ``batches`` batches (all of them by default), and the
    global position the ranks report after them."""
    indices = []
    for sampler in samplers:
        order = list(sampler)
        indices += order[:None if batches is None else batches * batch_size]
    position = samplers[0].position(batches, batch_size) if batches is not None else None
    return indices, position


@pytest.mark.parametrize('before, after, batch_sizes', [(2, 1, (3, 3)), (1, 2, (2, 4)), (4, 2, (2, 2)), (2, 4, (1, 3))])
def test_a_resume_on_another_number_of_processes_trains_every_remaining_sample_once(before, after, batch_sizes):
    dataset = list(range(24))
    first, position = trained(ranks(before, dataset), batch_sizes[0], batches=2)
    resumed = ranks(after, dataset)
    for sampler in resumed:
        sampler.skip(epoch=1, num_samples=position)
    rest, _ = trained(resumed, batch_sizes[1])
    assert sorted(first + rest) == dataset  # each sample once: no repeat, none left out
    assert {len(sampler) for sampler in resumed} == {(24 - position) // after}


def test_the_rest_of_an_epoch_is_dealt_out_evenly_when_it_does_not_divide():
    dataset = list(range(10))
    resumed = ranks(3, dataset)
    for sampler in resumed:
        sampler.skip(epoch=1, num_samples=3)
    rest = [list(sampler) for sampler in resumed]
    assert [len(r) for r in rest] == [len(s) for s in resumed] == [3, 3, 3]
    assert set(sum(rest, [])) == set(ranks(1, dataset)[0]._order()[3:])  # one of the 7 twice, as round_up does
