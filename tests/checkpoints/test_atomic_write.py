"""Files written whole or not at all, even when the writer is killed mid-write or the disk refuses."""
import multiprocessing
import os
import resource
import signal
import stat
import time

from mmengine.fileio import get_file_backend

from loki_video.checkpoints.atomic_write import CheckpointWriteError, remove_stale_temporaries, write_atomically

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
    write_atomically(tmp_path / 'epoch_2.pth', b'c')  # the next write removes what the killed writers left
    assert sorted(p.name for p in tmp_path.iterdir()) == ['epoch_1.pth', 'epoch_2.pth']


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


def test_files_get_the_permissions_of_a_plain_write(tmp_path):
    old_umask = os.umask(0o022)
    try:
        write_atomically(tmp_path / 'new.pth', b'x')
        kept = tmp_path / 'kept.pth'
        kept.write_bytes(b'old')
        kept.chmod(0o640)
        write_atomically(kept, b'new')
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / 'new.pth').stat().st_mode) == 0o644  # mkstemp's would be 0o600
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_bytes() == b'new'


def test_the_folder_is_flushed_after_the_rename(tmp_path, monkeypatch):
    flushed, fsync, replace = [], os.fsync, os.replace
    monkeypatch.setattr(os, 'replace', lambda *args: (flushed.append('rename'), replace(*args)))
    monkeypatch.setattr(os, 'fsync', lambda fd: (flushed.append('folder' if stat.S_ISDIR(os.fstat(fd).st_mode)
                                                                else 'file'), fsync(fd)))
    write_atomically(tmp_path / 'a.pth', b'x')
    assert flushed == ['file', 'rename', 'folder']


def test_only_temporaries_of_writers_that_are_gone_are_removed(tmp_path):
    from loki_video.checkpoints.atomic_write import _host
    fork = multiprocessing.get_context('fork')
    gone = fork.Process(target=int)
    gone.start()
    gone.join()
    stale = tmp_path / f'.epoch_3.pth.{_host()}.{gone.pid}.0a1b2c3d.partial'
    running = tmp_path / f'.epoch_3.pth.{_host()}.{os.getpid()}.0a1b2c3d.partial'
    elsewhere = tmp_path / f'.epoch_3.pth.another-host.{gone.pid}.0a1b2c3d.partial'
    for path in (stale, running, elsewhere):
        path.write_bytes(b'half')
    assert remove_stale_temporaries(tmp_path) == [str(stale)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([running.name, elsewhere.name])
