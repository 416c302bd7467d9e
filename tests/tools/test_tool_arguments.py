"""How tools/train.py and tools/test.py turn their options into config keys (no run)."""
import sys
from pathlib import Path

import pytest

from loki_video.config import load_config

from tiny_runner import TINY_CONFIG
from tool_loading import load_tool

ROOT = Path(__file__).resolve().parents[2]
IMAGE_CONFIG = ROOT / 'configs' / 'demo' / 'frame_pretrain.py'


@pytest.fixture
def merged():
    """``merged(tool, monkeypatch, *argv)``: ``(cfg, args)`` after the tool's argument parsing and merging."""
    def merge(tool, monkeypatch, *argv):
        module = load_tool(f'tools/{tool}.py')
        monkeypatch.setattr(sys, 'argv', [f'{tool}.py', *map(str, argv)])
        args = module.parse_args()
        return module.merge_args(load_config(args.config, args.cfg_options), args), args
    return merge


def test_train_options(merged, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # --resume needs a checkpoint to resume from in the work dir
    (tmp_path / 'work_dirs' / 'tiny_video').mkdir(parents=True)
    (tmp_path / 'work_dirs' / 'tiny_video' / 'last_checkpoint').write_text('epoch_1.pth')
    cfg, _ = merged('train', monkeypatch, TINY_CONFIG, '--resume', '--seed', '5', '--deterministic',
                    '--full-checkpoint', '--no-validate', '--cfg-options', 'randomness.seed=6')
    assert cfg.work_dir == './work_dirs/tiny_video'
    assert cfg.resume is True and cfg.load_from is None
    assert cfg.randomness == dict(seed=5, deterministic=True)  # options win over --cfg-options
    assert cfg.checkpoint_cfg.mode == 'full'
    assert cfg.val_dataloader is None and cfg.val_cfg is None and cfg.val_evaluator is None
    cfg, _ = merged('train', monkeypatch, TINY_CONFIG, '--resume', 'ckpt.pth', '--work-dir', 'out')
    assert (cfg.resume, cfg.load_from, cfg.work_dir) == (True, 'ckpt.pth', 'out')


@pytest.mark.parametrize('device', ['cpu', 'cuda'])
def test_amp_is_refused_on_cpu_only(device, monkeypatch):
    """Whatever this machine has: the device the tool sees is set here."""
    train = load_tool('tools/train.py')
    monkeypatch.setattr(train, 'get_device', lambda: device)
    monkeypatch.setattr(sys, 'argv', ['train.py', str(TINY_CONFIG), '--amp'])
    args = train.parse_args()
    cfg = load_config(args.config)
    if device == 'cpu':
        with pytest.raises(ValueError, match='--amp needs a GPU'):
            train.merge_args(cfg, args)
    else:
        assert train.merge_args(cfg, args).optim_wrapper.type == 'FiniteAmpOptimWrapper'


def test_mid_epoch_checkpoint_options_set_the_hook_and_a_resumable_sampler(merged, monkeypatch):
    cfg, _ = merged('train', monkeypatch, TINY_CONFIG, '--checkpoint-iters', '100', '--checkpoint-minutes', '10',
                    '--cfg-options', "train_dataloader.sampler.type='DefaultSampler'")
    checkpoint = cfg.default_hooks.checkpoint
    assert (checkpoint.type, checkpoint.interval_iters, checkpoint.interval_minutes) == ('SafeCheckpointHook', 100, 10)
    assert cfg.train_dataloader.sampler.type == 'ResumableSampler'


def test_a_worker_restarted_by_torchrun_resumes_by_itself(merged, monkeypatch):
    monkeypatch.setenv('TORCHELASTIC_RESTART_COUNT', '1')
    cfg, _ = merged('train', monkeypatch, TINY_CONFIG)
    assert (cfg.resume, cfg.load_from) == (True, None)


def test_image_configs_keep_their_scope_and_get_the_runner_with_the_engine_hooks(merged, monkeypatch):
    cfg, _ = merged('train', monkeypatch, IMAGE_CONFIG)
    assert cfg.default_scope == 'mmpretrain' and cfg.runner_type == 'LokiVideoRunner'
    cfg, _ = merged('test', monkeypatch, IMAGE_CONFIG, 'ckpt.pth')
    assert cfg.custom_hooks[-1] == dict(type='AccuracyReportHook', filename='test.json', clips=None, crops=None)


def test_test_options(merged, monkeypatch):
    cfg, _ = merged('test', monkeypatch, TINY_CONFIG, 'ckpt.pth', '--views', '3x3', '--max-testing-views', '2',
                    '--strict', '--dump', 'out.pkl')
    assert cfg.load_from == 'ckpt.pth'
    assert cfg.model.test_cfg == dict(max_testing_views=2) and cfg.test_dataloader.batch_size == 1
    assert cfg.test_evaluator == [dict(type='ValidAccMetric', strict=True),
                                  dict(type='DumpResults', out_file_path='out.pkl')]
    assert cfg.custom_hooks[-1] == dict(type='AccuracyReportHook', filename='test_3x3.json', clips=3, crops=3)
    assert dict(type='ThreeCrop', crop_size=32) in cfg.test_dataloader.dataset.pipeline


def test_strict_needs_the_metric_that_knows_unreadable_videos(merged, monkeypatch):
    with pytest.raises(ValueError, match='ValidAccMetric'):
        merged('test', monkeypatch, TINY_CONFIG, 'ckpt.pth', '--strict', '--cfg-options',
               'test_evaluator.type=AccMetric')


@pytest.mark.parametrize('tool, extra', [('train', ()), ('test', ('checkpoint.pth', ))])
def test_compile_option(merged, monkeypatch, tool, extra):
    cfg, _ = merged(tool, monkeypatch, TINY_CONFIG, *extra, '--compile')
    assert cfg.compile is True
    options = dict(mode='max-autotune')  # torch.compile options set in a config are kept
    cfg, _ = merged(tool, monkeypatch, TINY_CONFIG, *extra, '--compile', '--cfg-options', 'compile.mode=max-autotune')
    assert cfg.compile == options
    cfg, _ = merged(tool, monkeypatch, TINY_CONFIG, *extra)
    assert not cfg.get('compile')


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_a_misspelt_top_level_option_is_refused_with_the_close_key(monkeypatch, tool):
    checkpoint = [] if tool == 'train' else ['ckpt.pth']
    monkeypatch.setattr(sys, 'argv', [f'{tool}.py', str(TINY_CONFIG), *checkpoint, '--cfg-options',
                                      'tarin_cfg.max_epochs=1'])
    with pytest.raises(SystemExit, match=r"tarin_cfg.max_epochs: the config has no key 'tarin_cfg' .*"
                                         r'did you mean train_cfg\?'):
        load_tool(f'tools/{tool}.py').main()


def test_options_for_keys_the_runner_reads_are_accepted():
    cfg = load_config(str(TINY_CONFIG), {'compile': True, 'resume': True, 'randomness.seed': 3,
                                         'checkpoint_cfg.reinit': 'cls_head'})
    assert (cfg.compile, cfg.resume, cfg.randomness.seed, cfg.checkpoint_cfg.reinit) == (True, True, 3, 'cls_head')


def test_tensorboard_option_adds_the_backend_or_says_what_to_install(merged, monkeypatch):
    import importlib.util
    find_spec = importlib.util.find_spec
    def without_tensorboard(name, *args):
        return None if name == 'tensorboard' else find_spec(name, *args)

    def with_tensorboard(name, *args):
        return object() if name == 'tensorboard' else find_spec(name, *args)
    monkeypatch.setattr(importlib.util, 'find_spec', without_tensorboard)
    with pytest.raises(ValueError, match=r'pip install -e "\.\[tensorboard\]"'):
        merged('train', monkeypatch, TINY_CONFIG, '--tensorboard')
    monkeypatch.setattr(importlib.util, 'find_spec', with_tensorboard)
    cfg, _ = merged('train', monkeypatch, TINY_CONFIG, '--tensorboard')
    assert [backend['type'] for backend in cfg.visualizer.vis_backends] == ['LocalVisBackend', 'TensorboardVisBackend']
