"""The generation of a group of torchrun workers, agreed on through the store they share.

torchrun's agents keep their store across worker restarts, so the keys of a restarted group's process
group must carry a number that names the attempt. ``TORCHELASTIC_RESTART_COUNT`` does not: only the
failing node's agent advances it, and the nodes restarted with it for the membership change keep theirs.
:func:`agree_on_generation` gives every worker of one attempt the same number, whatever the keys the
dead workers of earlier attempts left (those of an attempt that died half-way included):

1. read the current generation ``g`` and take this rank's slot in it (``add``); a slot already taken
   belongs to a dead worker of an earlier attempt, so ``g`` is stale: move the generation on
   (``compare_set`` from ``g``, so that racing workers move it once) and start again;
2. write this rank's membership of ``g``, wait for all ``world_size`` members, then write an
   acknowledgement and wait for all of them; whenever the generation has moved on meanwhile, start
   again. Dead workers never acknowledge a generation they did not complete, and a completed one has
   every slot taken, so all acknowledgements of ``g`` come from live workers of this attempt.
"""
import datetime
import time

from torch.distributed import Store

PREFIX = 'loki_video/generation'
POLL_SECONDS = 0.02


def _current(store: Store) -> int:
    return int(store.add(PREFIX, 0))


def _wait_for(store: Store, keys: list, generation: int, deadline: float) -> bool:
    """Whether every key is set before the generation moves on (False: it moved on)."""
    while not store.check(keys):
        if _current(store) != generation:
            return False
        if time.monotonic() > deadline:
            raise TimeoutError(f'workers did not meet in generation {generation}: {len(keys)} expected')
        time.sleep(POLL_SECONDS)
    return True


def agree_on_generation(store: Store, rank: int, world_size: int, timeout: datetime.timedelta) -> int:
    """The generation number all ``world_size`` live workers of this attempt agree on (module docstring).

    Raises:
        TimeoutError: the workers did not meet within ``timeout``.
    """
    deadline = time.monotonic() + timeout.total_seconds()
    while True:
        generation = _current(store)
        if store.add(f'{PREFIX}/{generation}/slot/{rank}', 1) > 1:  # a dead worker's: a stale generation
            store.compare_set(PREFIX, str(generation), str(generation + 1))
            continue
        store.set(f'{PREFIX}/{generation}/member/{rank}', '1')
        members = [f'{PREFIX}/{generation}/member/{other}' for other in range(world_size)]
        if not _wait_for(store, members, generation, deadline):
            continue
        store.set(f'{PREFIX}/{generation}/ack/{rank}', '1')
        acks = [f'{PREFIX}/{generation}/ack/{other}' for other in range(world_size)]
        if _wait_for(store, acks, generation, deadline):
            return generation
