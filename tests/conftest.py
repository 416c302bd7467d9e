"""Fixtures and helpers shared by every test folder: real video files, the tiny config, tools.

``tests/tools`` (``tiny_runner``) and ``tests`` (``checkpoint_samples``) are on ``sys.path``.
"""
import logging
import os
import os.path as osp
import shutil
import sys
import uuid
from pathlib import Path

# Imported here, before any test module imports decord: decord bundles an old
# zlib that breaks cv2's PNG decoding when decord is loaded first.
import cv2
import numpy as np
import pytest
import torch

if not torch.cuda.is_available():  # the KAN's Triton kernels run in Triton's interpreter; read when they are defined
    os.environ.setdefault('TRITON_INTERPRET', '1')

sys.path.insert(0, str(Path(__file__).resolve().parent / 'tools'))  # tiny_runner, next to the tiny config
from loki_video.datasets.sample_clips import sample_video_dir  # noqa: E402

from tiny_runner import TINY_CONFIG, write_pretrained  # noqa: E402
from tool_loading import load_tool  # noqa: E402


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
    try:
        sample = osp.join(sample_video_dir(), 'carphone_pristine.mp4')  # 176x144, 120 frames
    except ImportError:
        sample = None
    if sample is not None and osp.isfile(sample):
        return sample
    path = str(tmp_path_factory.mktemp('video') / 'good.mp4')
    _write_opencv_video(path)
    return path


COCKATOO = '/usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4'


@pytest.fixture(scope='session')
def cockatoo() -> str:
    """imageio's cockatoo.mp4 (Debian python3-imageio; 1280x720 h264 yuv444p, 280 frames): a valid
    file on which decord's indexed reads past frame ~110 return corrupted frames."""
    if not osp.isfile(COCKATOO):
        pytest.skip(f'{COCKATOO} is missing: install Debian python3-imageio (tools/install_system_packages.sh does)')
    return COCKATOO


@pytest.fixture(scope='session')
def train_config():
    """``train_config(config, work_dir, *options, epochs=None)``: train a config with ``options``
    (dicts) merged in turn, without validation, in this process (``epochs``: that many, with a cosine
    schedule); returns the last checkpoint."""
    from loki_video.config import load_config
    from loki_video.engine.run_setup import build_runner

    def train(config, work_dir, *options, epochs=None):
        cfg = load_config(config)
        for overrides in options + ((short_schedule(epochs), ) if epochs else ()):
            cfg.merge_from_dict(overrides)
        cfg.work_dir, cfg.experiment_name = work_dir, '_'.join(Path(work_dir).parts[-2:])
        cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
        build_runner(cfg).train()
        return osp.join(work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth')
    return train


def short_schedule(epochs):
    """Config overrides: ``epochs`` epochs, cosine decay, no validation."""
    return dict(train_cfg=dict(max_epochs=epochs, val_interval=epochs + 1),
                param_scheduler=[dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=epochs,
                                      convert_to_iter_based=True)])


# The demo's frame pretraining, reduced: pose frames per class and epochs.
FRAME_PRETRAINING = dict(frames_per_class=100, epochs=10)


@pytest.fixture(scope='session')
def frame_pretrained_vit(tmp_path_factory, train_config):
    """The tiny ViT of ``make demo`` stage 2 (configs/demo/frame_pretrain.py) trained on fewer
    frames (``FRAME_PRETRAINING``): the checkpoint path. Shared by the tests that need a backbone
    whose features carry information."""
    from loki_video.datasets.synthetic_actions import generate_frame_dataset
    run_demo = load_tool('tools/run_demo.py')
    root = tmp_path_factory.mktemp('frame_pretraining')
    data = str(root / 'data')
    generate_frame_dataset(data, **dict(run_demo.FRAMES, frames_per_class=dict(
        train=FRAME_PRETRAINING['frames_per_class'])))
    return train_config(run_demo.PRETRAIN_CONFIG, str(root / 'pretrain'),
                        dict(train_dataloader=dict(dataset=dict(data_root=data))),
                        epochs=FRAME_PRETRAINING['epochs'])


@pytest.fixture
def pretrained_file(tmp_path):
    """A pretrained checkpoint of the tiny backbone (random weights, timm keys)."""
    return write_pretrained(tmp_path / 'pretrained.pth')


@pytest.fixture
def tiny_cfg(pretrained_file):
    """The tiny video config with ``model.backbone.pretrained`` set to a real file."""
    from loki_video.config import load_config
    return load_config(str(TINY_CONFIG), {'model.backbone.pretrained': pretrained_file})


@pytest.fixture
def tuned_tiny(tmp_path, pretrained_file):
    """``(checkpoint, cfg options)``: the tiny model on ``pretrained_file`` with its tuned parameters moved off
    their initial values, saved as a full checkpoint."""
    from loki_video.apis import init_model
    options = {'model.backbone.pretrained': pretrained_file}
    model = init_model(str(TINY_CONFIG), cfg_options=options)
    torch.manual_seed(1)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.requires_grad:
                parameter.add_(0.05 * torch.randn_like(parameter))
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'tuned.pth')
    return str(tmp_path / 'tuned.pth'), options


@pytest.fixture
def tiny_model_folder(tuned_tiny, tmp_path):
    """A model folder of the tuned tiny model (8 classes)."""
    from loki_video.apis.model_folder import write_model_folder
    checkpoint, options = tuned_tiny
    write_model_folder(str(TINY_CONFIG), checkpoint, str(tmp_path / 'tiny_folder'), cfg_options=options)
    return str(tmp_path / 'tiny_folder')


@pytest.fixture
def mixed_videos(tmp_path, real_video):
    """A video root and list (dataset and check_videos tests): good, truncated, zero-byte, missing, good.

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


@pytest.fixture
def one_thread():
    """Run single-threaded: tiny models gain nothing from a second thread, which only waits."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def captured_log():
    """Messages logged through the current MMLogger."""
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')
    logger = MMLogger.get_instance(f'robust_{uuid.uuid4().hex}')  # a new instance is the current one; id() repeats
    messages = []
    handler = logging.Handler(level=logging.INFO)
    handler.emit = lambda record: messages.append(record.getMessage())
    logger.addHandler(handler)
    yield messages
    logger.removeHandler(handler)


# Session fixtures that train, by the group of the files that use them: such files run in one xdist worker
# (make test's --dist loadgroup), so each fixture is built once per run; every other file is a group of its
# own (as with --dist loadfile). tests/tools/conftest.py defines workspace and trained.
SHARED_TRAINING_FIXTURES = {('tools', 'workspace'): 'tools_workspace', ('tools', 'trained'): 'tools_workspace',
                            (None, 'frame_pretrained_vit'): 'frame_pretrained_vit'}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups from the marks
def pytest_collection_modifyitems(config, items):
    fixtures_of_file = {}
    for item in items:
        fixtures_of_file.setdefault(item.path, set()).update(item.fixturenames)
    for item in items:
        groups = [group for (folder, name), group in SHARED_TRAINING_FIXTURES.items()
                  if name in fixtures_of_file[item.path] and folder in (None, item.path.parent.name)]
        item.add_marker(pytest.mark.xdist_group(groups[0] if groups else str(item.path.relative_to(config.rootpath))))
