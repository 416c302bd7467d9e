"""Fixtures of the dataset tests: a folder of good and broken videos (real_video: tests/conftest.py)."""
import os
import shutil

import pytest


@pytest.fixture
def mixed_videos(tmp_path, real_video):
    """A video root and list: good, truncated, zero-byte, missing, good.

    Returns:
        ``(root, list_file, lines)``.
    """
    root = tmp_path / 'videos'
    root.mkdir()
    shutil.copy(real_video, root / 'good.mp4')
    shutil.copy(real_video, root / 'good2.mp4')
    with open(real_video, 'rb') as f:
        (root / 'truncated.mp4').write_bytes(f.read(2048))
    (root / 'empty.mp4').write_bytes(b'')
    lines = [
        'good.mp4 0', 'truncated.mp4 1', 'empty.mp4 2', 'missing.mp4 3',
        'good2.mp4 4'
    ]
    list_file = tmp_path / 'list.txt'
    list_file.write_text(''.join(line + '\n' for line in lines))
    assert not os.path.exists(root / 'missing.mp4')
    return str(root), str(list_file), lines
