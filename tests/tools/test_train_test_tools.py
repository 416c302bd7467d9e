"""tools/train.py, tools/test.py and tools/dist_train.sh end to end.

A tiny LoKi recognizer (tests/tools/configs/tiny_video.py) on synthetic action
videos, with a small pretrained backbone file so that checkpoints are
tunable-only as in real runs.
"""
import json
import os
import os.path as osp
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import mmaction
import mmengine
import numpy as np
import pytest
import torch

from loki_video.checkpoints import frozen_sha256
from loki_video.checkpoints.safe_read import safe_torch_load
from loki_video.config import build_model, load_config
from loki_video.datasets.synthetic_actions import generate_dataset
from loki_video.models.peft.freeze_policy import report_group

from tiny_runner import ROOT, run_tool, state_dict_of

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)

PAUSED_CONFIG = """_base_ = ['{base}']
custom_imports = dict(imports=['loki_video.models', 'loki_video.engine', 'fault_injection'],
                      allow_failed_imports=False)
custom_hooks = [dict(type='PauseHook', epoch=1, iteration=1, marker='{marker}')]
"""


def test_checkpoints_hold_tunable_weights_and_the_frozen_weights_digest(trained, workspace):
    checkpoint = safe_torch_load(str(trained / 'epoch_2.pth'))
    keys = set(checkpoint['state_dict'])
    assert 'backbone.blocks.0.mlp_slot.decoder.weight' in keys
    assert 'cls_head.fc_cls.weight' in keys and 'backbone.temporal_embed' in keys
    assert 'backbone.blocks.0.mlp_slot.kan.layers.0.grid' in keys  # a buffer
    assert not any(report_group(k) == 'pretrained' for k in keys)  # frozen: patch embedding, attention, MLP
    record = checkpoint['meta']['tunable_checkpoint']
    assert record['mode'] == 'tunable'
    assert record['pretrained_file'] == workspace[2]
    assert record['frozen_sha256'] == frozen_sha256(build_model(load_config(str(workspace[1]))))
    assert {'optimizer', 'param_schedulers', 'message_hub'} <= set(checkpoint)


def test_resume_from_a_mid_epoch_checkpoint_after_a_kill_repeats_the_uninterrupted_run_bitwise(trained, workspace):
    """Killed in epoch 2 (after its batch 2 of 4) with a checkpoint every iteration, resumed by
    --resume: the run goes on with batch 2 of epoch 2 and ends with the uninterrupted run's weights."""
    root, config, _ = workspace
    work_dir = root / 'killed'
    marker = root / 'paused'
    paused_config = root / 'tiny_paused.py'
    paused_config.write_text(PAUSED_CONFIG.format(base=config, marker=marker))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), os.environ.get('PYTHONPATH', '')]))
    with open(root / 'killed.log', 'w') as log:
        process = subprocess.Popen([sys.executable, 'tools/train.py', str(paused_config), '--work-dir', str(work_dir),
                                    '--checkpoint-iters', '1'],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while not marker.exists() and process.poll() is None and time.time() < deadline:
            time.sleep(0.2)
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert marker.exists(), (root / 'killed.log').read_text()[-3000:]
    # The pause comes before the checkpoint of iteration 6: iteration 5 (epoch 2, batch 1) is the newest.
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['epoch_1.pth', 'iter_5.pth']
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'iter_5.pth')

    resumed = run_tool(sys.executable, 'tools/train.py', str(config), '--work-dir', str(work_dir), '--resume')
    assert 'resumed epoch: 1, iter: 5' in resumed.stdout
    assert re.search(r'resuming epoch 2 after 4 of its \d+ samples \(saved at world size 1, now 1\)', resumed.stdout)
    assert re.search(r'Epoch\(train\) +\[2\]\[3/3\]', resumed.stdout), resumed.stdout[-3000:]
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['epoch_1.pth', 'epoch_2.pth']  # iter_5 replaced
    expected, actual = state_dict_of(trained / 'epoch_2.pth'), state_dict_of(work_dir / 'epoch_2.pth')
    assert expected.keys() == actual.keys()
    assert all(torch.equal(expected[key], actual[key]) for key in expected)


def test_mmaction2_train_tool_and_our_test_tool_read_a_pretrained_path_under_home(workspace, tmp_path):
    """mmaction2's own tools/train.py (no preflight; the hooks come from default_hooks) and
    tools/test.py (preflight, then the checkpoint's frozen weights) with ``~/pretrained.pth``."""
    root, config, pretrained = workspace
    home = tmp_path / 'home'
    home.mkdir()
    shutil.copy(pretrained, home / 'pretrained.pth')
    env = dict(os.environ, HOME=str(home))
    option = 'model.backbone.pretrained=~/pretrained.pth'
    train = osp.join(osp.dirname(mmaction.__file__), '.mim', 'tools', 'train.py')
    work_dir = tmp_path / 'mmaction2_train'
    run_tool(sys.executable, train, str(config), '--work-dir', str(work_dir),
             '--cfg-options', option, 'train_cfg.max_epochs=1', env=env)
    record = safe_torch_load(str(work_dir / 'epoch_1.pth'))['meta']['tunable_checkpoint']
    assert record['mode'] == 'tunable' and record['pretrained_file'] == str(home / 'pretrained.pth')
    result = run_tool(sys.executable, 'tools/test.py', str(config), str(work_dir / 'epoch_1.pth'),
                      '--work-dir', str(tmp_path / 'test'), '--cfg-options', option, env=env)
    assert 'top-1' in result.stdout


def test_test_tool_evaluates_three_clips_by_three_crops(trained, workspace):
    root, config, _ = workspace
    work_dir = root / 'test_3x3'
    run_tool(sys.executable, 'tools/test.py', str(config), str(trained / 'epoch_2.pth'), '--work-dir', str(work_dir),
             '--views', '3x3', '--strict', '--dump', str(work_dir / 'predictions.pkl'))
    report = json.loads((work_dir / 'test_3x3.json').read_text())
    assert (report['views'], report['clips'], report['crops']) == (9, 3, 3)
    assert report['input_shape'] == [9, 3, 4, 32, 32]  # each video reaches the model as 9 clips
    assert (report['evaluated'], report['excluded']) == (8, 0)
    assert all(0 <= report[k] <= 1 for k in ('top1', 'top5', 'mean_class_accuracy'))
    assert (work_dir / 'predictions.pkl').exists()


def test_a_model_folder_of_the_run_tests_long_videos_and_exports_as_its_config_and_checkpoint(trained, workspace):
    """tools/export_checkpoint.py --folder, then tools/test.py, long_video_demo.py and export_onnx.py on the folder
    alone."""
    root, config, _ = workspace
    folder = root / 'model_folder'
    run_tool(sys.executable, 'tools/test.py', str(config), str(trained / 'epoch_2.pth'), '--work-dir',
             str(root / 'folder_reference'))
    exported = run_tool(sys.executable, 'tools/export_checkpoint.py', str(config), str(trained / 'epoch_2.pth'),
                        '--folder', str(folder), '--metrics', str(root / 'folder_reference' / 'test_1x1.json'))
    assert 'tunable.safetensors' in exported.stdout and 'top-1' in (folder / 'README.md').read_text()
    run_tool(sys.executable, 'tools/test.py', str(folder), '--work-dir', str(root / 'folder_test'))
    reference, from_folder = (json.loads((root / name / 'test_1x1.json').read_text())
                              for name in ('folder_reference', 'folder_test'))
    assert from_folder['top1'] == reference['top1'] and from_folder['evaluated'] == reference['evaluated'] == 8
    video = next((root / 'data').rglob('*.mp4'))
    run_tool(sys.executable, 'tools/long_video_demo.py', str(folder), str(video), '--out', str(root / 'folder_long'),
             '--window', '1', '--stride', '1', '--no-video')
    assert json.loads((root / 'folder_long' / 'predictions.json').read_text())['windows']
    run_tool(sys.executable, 'tools/deployment/export_onnx.py', str(folder), str(root / 'folder.onnx'))
    assert (root / 'folder.onnx').stat().st_size > 0
    refused = run_tool(sys.executable, 'tools/test.py', str(folder), str(trained / 'epoch_2.pth'), check=False)
    assert refused.returncode == 1 and 'give no checkpoint after it' in refused.stdout


def test_mmaction2_report_accuracy_fuses_two_dumps(trained, workspace):
    """docs/training.md's score fusion: two tools/test.py dumps (1x1 and 3x1 views) through mmaction2's
    report_accuracy.py, whose fused top-1 is the accuracy of the averaged scores."""
    root, config, _ = workspace
    dumps = []
    for views in ('1x1', '3x1'):
        dumps.append(root / f'fusion_{views}.pkl')
        run_tool(sys.executable, 'tools/test.py', str(config), str(trained / 'epoch_2.pth'), '--views', views,
                 '--work-dir', str(root / f'fusion_{views}'), '--dump', str(dumps[-1]))
    records = [mmengine.load(str(dump)) for dump in dumps]
    for dump in records:   # the keys report_accuracy.py reads
        assert len(dump) == 8 and all(r['pred_scores']['item'].shape == (8, ) for r in dump)
        assert all(r['gt_labels']['item'].numel() == 1 for r in dump)
    scores = np.mean([[r['pred_scores']['item'].numpy() for r in dump] for dump in records], axis=0)
    labels = np.array([r['gt_labels']['item'].item() for r in records[0]])
    report = osp.join(osp.dirname(mmaction.__file__), '.mim', 'tools', 'analysis_tools', 'report_accuracy.py')
    fused = run_tool(sys.executable, report, '--preds', *map(str, dumps), '--coefficients', '1', '1')
    assert f'Top 1 Accuracy: {np.mean(scores.argmax(1) == labels):.04f}' in fused.stdout


def test_test_tool_refuses_a_checkpoint_whose_head_does_not_fit(trained, workspace):
    root, config, _ = workspace
    result = run_tool(sys.executable, 'tools/test.py', str(config), str(trained / 'epoch_2.pth'),
                      '--work-dir', str(root / 'test_10_classes'), '--cfg-options', 'model.cls_head.num_classes=10',
                      check=False)
    assert result.returncode != 0
    assert 'shape mismatch [cls_head.fc_cls.bias: checkpoint (8,), model (10,), ' \
           'cls_head.fc_cls.weight: checkpoint (8, 64), model (10, 64)]' in result.stdout
    assert 'top1' not in result.stdout and 'Traceback' not in result.stdout
    result = run_tool(sys.executable, 'tools/test.py', str(config), str(trained / 'epoch_2.pth'),
                      '--cfg-options', 'checkpoint_cfg.reinit=cls_head', check=False)
    assert result.returncode != 0 and 'it is for training (load_from) only' in result.stdout


def test_a_misspelt_loop_argument_is_one_line(workspace):
    root, config, _ = workspace
    result = run_tool(sys.executable, 'tools/train.py', str(config), '--work-dir', str(root / 'misspelt'),
                      '--cfg-options', 'train_cfg.max_epoch=2', check=False)
    assert result.returncode == 1 and 'Traceback' not in result.stdout
    assert result.stdout.strip().splitlines()[-1] == (
        "train.py: train_cfg.max_epoch: EpochBasedTrainLoop takes no argument 'max_epoch'; did you mean max_epochs? "
        'It takes: runner, dataloader, max_epochs, val_begin, val_interval, dynamic_intervals')


def test_missing_annotation_file_fails_before_the_model_is_built(workspace):
    root, config, _ = workspace
    missing = root / 'no_such_folder'
    result = run_tool(sys.executable, 'tools/train.py', str(config), '--work-dir', str(root / 'missing'),
                      '--cfg-options', f'train_dataloader.dataset.data_root={missing}', check=False)
    assert result.returncode != 0
    assert f'train_dataloader.dataset.ann_file: file {missing}/train_list.txt does not exist' in result.stdout
    assert 'data/README.md' in result.stdout
    assert 'Traceback' not in result.stdout


def demo_pretrained(path):
    """A random backbone file shaped like the demo's frame-pretrained ViT (configs/demo/tiny_vit.py)."""
    from mmengine.config import Config

    from loki_video.models.backbones import TunableViT
    torch.manual_seed(0)
    backbone = Config.fromfile(str(ROOT / 'configs/demo/tiny_vit.py')).model.backbone
    vit = TunableViT(arch=backbone.arch, img_size=backbone.img_size, num_frames=1)
    torch.save({k: v for k, v in vit.state_dict().items() if report_group(k) == 'pretrained'}, path)
    return str(path)


def test_dist_train_then_3x3_test_of_the_demo_loki_config_on_cpu(tmp_path):
    data = tmp_path / 'data'
    generate_dataset(str(data), dict(train=1, test=1), num_frames=32, size=(32, 32))
    work_dir = tmp_path / 'dist'
    env_port = str(29500 + os.getpid() % 1000)
    options = [f'model.backbone.pretrained={demo_pretrained(tmp_path / "pretrained.pth")}',
               f'train_dataloader.dataset.ann_file={data}/train_list.txt',
               f'train_dataloader.dataset.data_prefix.video={data}',
               'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
               'train_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1']
    result = subprocess.run(['bash', 'tools/dist_train.sh', 'configs/demo/loki.py', '2', '--work-dir', str(work_dir),
                             '--no-validate', '--cfg-options', *options],
                            cwd=ROOT, env=dict(os.environ, PORT=env_port, PYTHON=sys.executable),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)
    assert result.returncode == 0, result.stdout[-5000:]
    assert 'of 2 runs on CPU with the gloo backend' in result.stdout
    # 8 videos, 4 per batch, split over 2 processes: one iteration each.
    assert re.search(r'Epoch\(train\) +\[1\]\[1/1\]', result.stdout), result.stdout[-3000:]
    checkpoint = safe_torch_load(str(work_dir / 'epoch_1.pth'))
    assert 'backbone.blocks.0.temporal_slot.kan.layers.0.spline_weight' in checkpoint['state_dict']

    run_tool(sys.executable, 'tools/test.py', 'configs/demo/loki.py', str(work_dir / 'epoch_1.pth'),
             '--views', '3x3', '--work-dir', str(work_dir), '--cfg-options', options[0],
             f'test_dataloader.dataset.ann_file={data}/test_list.txt',
             f'test_dataloader.dataset.data_prefix.video={data}')
    report = json.loads((work_dir / 'test_3x3.json').read_text())
    assert report['views'] == 9 and report['input_shape'] == [9, 3, 8, 32, 32]
    assert (report['evaluated'], report['excluded']) == (8, 0)


def test_a_run_that_kept_only_its_best_checkpoint_is_resumed_from_it(workspace):
    """No per-epoch checkpoints (interval=-1, no save_last), as in a run killed before its end: the best one is
    all there is, and last_checkpoint names it from its first save."""
    root, config, _ = workspace
    work_dir = root / 'best_only'
    options = ['default_hooks.checkpoint.interval=-1', 'default_hooks.checkpoint.save_last=False',
               'default_hooks.checkpoint.save_best=acc/top1', 'default_hooks.checkpoint.rule=greater']
    run_tool(sys.executable, 'tools/train.py', str(config), '--work-dir', str(work_dir), '--cfg-options',
             'train_cfg.max_epochs=1', *options)
    assert [p.name for p in work_dir.glob('*.pth')] == ['best_acc_top1_epoch_1.pth']
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'best_acc_top1_epoch_1.pth')
    resumed = run_tool(sys.executable, 'tools/train.py', str(config), '--work-dir', str(work_dir), '--resume',
                       '--no-validate', '--cfg-options', 'train_cfg.max_epochs=2', *options)
    assert 'resumed epoch: 1' in resumed.stdout and re.search(r'Epoch\(train\) +\[2\]', resumed.stdout)


def test_resume_with_nothing_to_resume_from_says_so_instead_of_starting_over(workspace, tmp_path):
    _, config, _ = workspace
    result = run_tool(sys.executable, 'tools/train.py', str(config), '--work-dir', str(tmp_path / 'new'), '--resume',
                      check=False)
    assert result.returncode == 1
    assert result.stdout.strip().splitlines()[-1] == (
        f'{config}: --resume: no checkpoint to resume from in {tmp_path / "new"} (no last_checkpoint file); give one '
        '(--resume PATH), or leave --resume out to start a new run')
