"""Workers of one torchrun attempt agree on a generation through the store, whatever earlier attempts left."""
import datetime
import random
import threading

import pytest
from torch import distributed

from loki_video.engine.worker_generation import agree_on_generation

TIMEOUT = datetime.timedelta(seconds=20)


@pytest.fixture
def store():
    server = distributed.TCPStore('127.0.0.1', 0, is_master=True, wait_for_workers=False)
    yield lambda: distributed.TCPStore('127.0.0.1', server.port, is_master=False)


def attempt(store, world_size, ranks=None, delays=None):
    """The generations ``ranks`` (default all) agree on, each started after its delay, in its own thread."""
    ranks = list(range(world_size)) if ranks is None else ranks
    agreed = {}

    def worker(rank):
        threading.Event().wait((delays or {}).get(rank, 0))
        agreed[rank] = agree_on_generation(store(), rank, world_size, TIMEOUT)
    threads = [threading.Thread(target=worker, args=(rank, )) for rank in ranks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return agreed


def test_each_attempt_gets_a_new_generation_on_every_rank(store):
    assert attempt(store, 3) == {0: 0, 1: 0, 2: 0}
    assert attempt(store, 3) == {0: 1, 1: 1, 2: 1}   # a restart of every worker: all move on together


@pytest.mark.parametrize('seed', range(4))
def test_an_attempt_that_died_half_way_does_not_split_the_next_one(store, seed):
    """Rank 0 of an attempt took its slot and wrote its membership, then the attempt died before rank 1
    came: the next attempt's workers, in any order and timing, still meet in one generation."""
    client = store()
    client.add('loki_video/generation/0/slot/0', 1)
    client.set('loki_video/generation/0/member/0', '1')
    rng = random.Random(seed)
    agreed = attempt(store, 2, delays={0: rng.uniform(0, 0.3), 1: rng.uniform(0, 0.3)})
    assert len(set(agreed.values())) == 1 and agreed[0] >= 1


def test_workers_that_never_meet_time_out():
    server = distributed.TCPStore('127.0.0.1', 0, is_master=True, wait_for_workers=False)
    with pytest.raises(TimeoutError, match='workers did not meet in generation 0'):
        agree_on_generation(server, 0, 2, datetime.timedelta(seconds=0.5))
