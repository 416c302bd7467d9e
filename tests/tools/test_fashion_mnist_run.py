"""A short real training run of an image LoKi config on Fashion-MNIST, read offline.

The data comes from the Debian package ``dataset-fashion-mnist`` (gzipped idx files,
installed by tools/install_system_packages.sh) through mmpretrain's ``FashionMNIST`` reader.
The MNIST LoKi config runs with cfg options only: Fashion-MNIST instead of MNIST, 10,000
train / 1,000 test images at 28x28, a tiny randomly initialised frozen ViT, 5 epochs of the
config's schedule (about a minute on 2 CPU cores; 75-78% top-1 over seeds 0-2).

The tiny ViT sees each image as one 28x28 patch: a frozen *random* ViT attends almost
uniformly (its q/k projections are near zero), so with several patches the class token
only gets the average patch and the layout is lost; with one patch the whole image
reaches the class token and LoKi plus the head have something to learn from. The
collect_results tool then turns the work dir into a table row.
"""
import gzip
import shutil
from pathlib import Path

import pytest
from mmengine.config import Config

from loki_video.engine.run_setup import build_runner

from tool_loading import load_tool

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)

REPO = Path(__file__).resolve().parents[2]
FASHION_MNIST = Path('/usr/share/datasets/fashion-mnist')
IDX_FILES = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
             't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')
CONFIG = REPO / 'configs' / 'image' / 'loki' / 'loki_vit-b16-in21k_mnist.py'
WORK_DIR_NAME = 'loki_vit-b16-in21k_fashion-mnist'




@pytest.fixture(scope='module')
def fashion_mnist_root(tmp_path_factory):
    """A data_root with the four idx files, un-gzipped as mmpretrain's reader expects."""
    missing = [name for name in IDX_FILES if not (FASHION_MNIST / f'{name}.gz').is_file()]
    if missing:
        pytest.skip(f'Fashion-MNIST not installed: {FASHION_MNIST} lacks {missing} '
                    '(install the Debian package dataset-fashion-mnist: bash tools/install_system_packages.sh)')
    root = tmp_path_factory.mktemp('fashion-mnist')
    for name in IDX_FILES:
        with gzip.open(FASHION_MNIST / f'{name}.gz') as source, open(root / name, 'wb') as target:
            shutil.copyfileobj(source, target)
    return root


def run_options(data_root, work_dir):
    """cfg options that turn the MNIST LoKi config into the short CPU run."""
    options = {
        'work_dir': str(work_dir),
        'model.backbone.arch': dict(_delete_=True, patch_size=28, embed_dim=128, depth=2, num_heads=2,
                                    pre_norm=False, act_layer='gelu', norm_eps=1e-6),
        'model.backbone.img_size': 28,
        'model.backbone.pretrained': None,
        'model.head.in_channels': 128,
        'train_cfg.max_epochs': 5,
        'default_hooks.logger.interval': 50,
        'randomness.seed': 0,
    }
    pipelines = {
        'train_dataloader': [dict(type='ToBGR'), dict(type='RandomFlip', prob=0.5), dict(type='PackInputs')],
        'val_dataloader': [dict(type='ToBGR'), dict(type='PackInputs')],
        'test_dataloader': [dict(type='ToBGR'), dict(type='PackInputs')],
    }
    sizes = {'train_dataloader': 10000, 'val_dataloader': 1000, 'test_dataloader': 1000}
    for loader, pipeline in pipelines.items():
        options.update({
            f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False,
            f'{loader}.dataset.dataset_type': 'FashionMNIST',
            f'{loader}.dataset.data_root': str(data_root),
            f'{loader}.dataset.indices': sizes[loader],
            f'{loader}.dataset.pipeline': pipeline,
        })
    return options


# mmpretrain's idx reader warns once per image under numpy 2 (harmless).
@pytest.mark.filterwarnings('ignore::DeprecationWarning')
def test_loki_learns_fashion_mnist_and_is_collected(fashion_mnist_root, tmp_path, one_thread):
    cfg = Config.fromfile(str(CONFIG))
    work_dir = tmp_path / WORK_DIR_NAME
    cfg.merge_from_dict(run_options(fashion_mnist_root, work_dir))
    runner = build_runner(cfg)
    assert sum(p.requires_grad for p in runner.model.backbone.parameters()) > 0
    runner.train()
    metrics = runner.test()
    print(f"Fashion-MNIST test top-1 after {cfg.train_cfg.max_epochs} epochs: {metrics['accuracy/top1']:.2f}%")
    assert metrics['accuracy/top1'] >= 70.0

    collect_results = load_tool('tools/analysis/collect_results.py')
    markdown, tables = collect_results.build_report([str(tmp_path)], with_paper=False)
    (row,) = tables['vit-b16-in21k']
    assert (row['method'], row['source']) == ('loki', 'ours')
    assert row['values']['fashion-mnist'] == pytest.approx(metrics['accuracy/top1'])
    assert row['val_only'] == []
    assert row['params_m'] > 0
    assert '| LoKi | ours |' in markdown and 'fashion-mnist' in markdown
