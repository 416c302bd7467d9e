"""Files written whole or not at all, even when the writer is killed mid-write or the disk refuses."""
import multiprocessing
import resource
import signal
import time

from mmengine.fileio import get_file_backend

from loki_video.checkpoints.atomic_write import CheckpointWriteError, write_atomically

SIZE = 8 << 20


def rewrite_forever(path):
    for turn in range(10 ** 6):
        write_atomically(path, (b'a' if turn % 2 else b'b') * SIZE)


def write_with_a_file_size_limit(path, messages):
    """As on a full disk: the kernel refuses writes past 1 MiB (EFBIG; SIGXFSZ ignored)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    try:
        write_atomically(path, b'new' * SIZE)
    except CheckpointWriteError as error:
        messages.put(str(error))


def test_a_writer_killed_at_any_moment_leaves_a_whole_file(tmp_path):
    """SIGKILL a process that rewrites an 8 MiB file in a loop, at ten moments: every time the file
    holds one whole version, and only temporary files (never read as checkpoints) may be left."""
    path = tmp_path / 'epoch_1.pth'
    write_atomically(path, b'a' * SIZE)
    fork = multiprocessing.get_context('fork')
    for attempt in range(10):
        writer = fork.Process(target=rewrite_forever, args=(path, ))
        writer.start()
        time.sleep(0.02 + 0.013 * attempt)
        writer.kill()
        writer.join()
        data = path.read_bytes()
        assert len(data) == SIZE and data in (b'a' * SIZE, b'b' * SIZE)
    assert {p.name for p in tmp_path.iterdir() if not p.name.endswith('.partial')} == {'epoch_1.pth'}


def test_a_refused_write_names_the_file_the_error_and_the_free_space_and_keeps_the_old_file(tmp_path):
    path = tmp_path / 'ckpt.pth'
    write_atomically(path, b'old')
    fork = multiprocessing.get_context('fork')
    messages = fork.Queue()
    writer = fork.Process(target=write_with_a_file_size_limit, args=(path, messages))
    writer.start()
    writer.join()
    message = messages.get(timeout=10)
    assert message.startswith(f'could not write {path}: File too large (')
    assert 'GiB free on' in message and message.endswith('the previous file is intact')
    assert path.read_bytes() == b'old'
    assert [p.name for p in tmp_path.iterdir()] == ['ckpt.pth']  # the temporary file is removed


def test_mmengines_atomic_local_backend_writes_through_it(tmp_path):
    backend = get_file_backend(str(tmp_path), backend_args=dict(backend='atomic_local'))
    backend.put(b'weights', tmp_path / 'a.pth')
    backend.put_text('a.pth', tmp_path / 'last_checkpoint')
    assert (tmp_path / 'a.pth').read_bytes() == b'weights'
    assert (tmp_path / 'last_checkpoint').read_text() == 'a.pth'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a.pth', 'last_checkpoint']
