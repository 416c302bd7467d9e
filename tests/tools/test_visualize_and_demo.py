"""tools/visualize_attention.py, tools/demo.py, tools/analysis/plot_curves.py and confusion_matrix.py.

A real short training (tools/train.py, tiny video config) gives the checkpoint and
mmengine's scalars.json; the tools run in-process on them.
"""
import glob
import json
import os.path as osp
import pickle
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from loki_video.datasets.synthetic_actions import ACTION_CLASSES, generate_dataset
from loki_video.visualization.overlay import grid_header

from tool_loading import load_tool

pytestmark = pytest.mark.slow  # make test-fast leaves it out (README: Tests)

TINY_VIDEO = 'tests/tools/configs/tiny_video.py'




@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """One epoch of the tiny video config (2 iterations, then validation) with tools/train.py."""
    root = tmp_path_factory.mktemp('tools_run')
    data = str(root / 'data')
    generate_dataset(data, dict(train=1, val=1, test=1), num_frames=8, size=(32, 32))
    work_dir = str(root / 'tiny_video')
    options = [f'{split}_dataloader.dataset.data_root={data}' for split in ('train', 'val', 'test')]
    subprocess.run([sys.executable, 'tools/train.py', TINY_VIDEO, '--work-dir', work_dir, '--cfg-options',
                    'train_cfg.max_epochs=1', 'param_scheduler=None', *options], check=True,
                   capture_output=True)
    return dict(data=data, work_dir=work_dir, checkpoint=osp.join(work_dir, 'epoch_1.pth'), options=options,
                labels=osp.join(data, 'classes.txt'))


def printed_title(capsys):
    """The PNG title of the first input from the tool's line ``<path>: top-1 <class> (<score>); ...``."""
    first = next(line for line in capsys.readouterr().out.splitlines() if '0000.mp4: top-1 ' in line)
    best = first.split(': top-1 ')[1].split(';')[0]
    assert any(best.startswith(name + ' (') for name in ACTION_CLASSES)
    return f'0000: top-1 {best}; last attention, block -1'


@pytest.mark.parametrize('tool,options', [('tools/demo.py', []), ('tools/visualize_attention.py', ['--out', 'OUT'])])
def test_an_unreadable_input_is_one_line_and_the_others_go_on(run, tmp_path, capsys, tool, options):
    bad = tmp_path / 'notes.mp4'
    bad.write_text('a text file, not a video')
    good = osp.join(run['data'], 'videos', 'test', 'grow', '0000.mp4')
    options = [str(tmp_path / 'out') if option == 'OUT' else option for option in options]
    with pytest.raises(SystemExit, match=f'1 of 2 inputs could not be read: {bad}'):
        load_tool(tool).main([TINY_VIDEO, run['checkpoint'], str(bad), good, *options, '--labels', run['labels'],
                              '--cfg-options', *run['options']])
    printed = capsys.readouterr()
    assert (
        f'not a readable video: {bad} (RuntimeError: Could not open input file: {bad} Invalid data found when '
        'processing input); tools/data/check_videos.py finds such files in a list') in printed.err.splitlines()
    assert good in printed.out   # the readable input's result, after the failed one


def test_demo_writes_labelled_videos(run, tmp_path, capsys):
    from torchcodec.decoders import VideoDecoder
    folder = osp.join(run['data'], 'videos', 'test', 'grow')
    videos = sorted(glob.glob(osp.join(folder, '*.mp4')))
    out = str(tmp_path / 'labelled')
    load_tool('tools/demo.py').main([TINY_VIDEO, run['checkpoint'], *videos, osp.join(run['data'], 'videos', 'val'),
                                     '--out-video', out, '--out-size', '64', '64', '--labels', run['labels'],
                                     '--cfg-options', *run['options']])
    written = sorted(glob.glob(osp.join(out, '*.mp4')))
    assert len(written) == len(videos) + len(ACTION_CLASSES)
    first = VideoDecoder(written[0])
    assert (first.metadata.width, first.metadata.height, first.metadata.num_frames) == (64, 64, 8)
    assert '(8 frames, ' in capsys.readouterr().out


def test_visualize_attention_writes_grids_and_maps(run, tmp_path, capsys):
    tool = load_tool('tools/visualize_attention.py')
    video = osp.join(run['data'], 'videos', 'test', 'grow', '0000.mp4')
    image = str(tmp_path / 'still.png')
    cv2.imwrite(image, np.full((32, 32, 3), 128, np.uint8))
    out = str(tmp_path / 'out')
    common = [TINY_VIDEO, run['checkpoint'], '--labels', run['labels'], '--cfg-options', *run['options']]
    tool.main([*common[:2], video, image, '--out', out, *common[2:]])
    maps = np.load(osp.join(out, '0000_attention.npy'))
    assert maps.shape == (4, 2, 2) and maps.dtype == np.float32           # 4 frames, 32 / 16 patches
    assert np.allclose(maps.sum((1, 2)), 1, atol=1e-5)
    grid = cv2.imread(osp.join(out, '0000_attention.png'))[..., ::-1]
    header = grid_header(4 * (160 + 4) + 4, (maps.min(), maps.max()), 4, title=printed_title(capsys))
    assert np.array_equal(grid[:len(header)], header)                   # predicted class, colour bar, range
    assert grid.shape == (len(header) + 2 * 160 + 3 * 4, 4 * (160 + 4) + 4, 3)  # 2 rows x 4 frames, enlarged to 160
    assert np.load(osp.join(out, 'still_attention.npy')).shape == (4, 2, 2)   # an image is a still clip

    tool.main([*common[:2], osp.join(run['data'], 'videos', 'test'), '--out', out, '--mode', 'rollout',
               '--layer', '0', '--size', '64', '64', *common[2:]])
    large = np.load(osp.join(out, 'grow__0000_attention.npy'))
    assert large.shape == (4, 4, 4)                                      # twice the resolution, twice the grid
    assert np.allclose(large.sum((1, 2)), 1, atol=1e-5)
    assert len(glob.glob(osp.join(out, '*__0000_attention.png'))) == len(ACTION_CLASSES)


def test_demo_takes_config_checkpoint_inputs_as_mmaction2s_demo(capsys):
    with pytest.raises(SystemExit):
        load_tool('tools/demo.py').parse_args(['video.mp4', TINY_VIDEO, 'ckpt.pth'])
    assert 'the first argument is the config (a .py file) or a model folder, got video.mp4' in capsys.readouterr().err


def test_demo_prints_named_topk_and_writes_json(run, tmp_path, capsys):
    tool = load_tool('tools/demo.py')
    video = osp.join(run['data'], 'videos', 'test', 'move_up', '0000.mp4')
    out = str(tmp_path / 'predictions.json')
    tool.main([TINY_VIDEO, run['checkpoint'], video, '--topk', '3', '--views', '2x1', '--json', out,
               '--cfg-options', f"label_file={run['labels']}", *run['options']])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == video and len(lines) == 4
    assert all(line.strip().startswith(f'{rank}. ') for rank, line in enumerate(lines[1:], 1))
    saved = json.load(open(out))[0]['predictions']
    assert [p['name'] for p in saved] == [ACTION_CLASSES[p['index']] for p in saved]
    assert [p['score'] for p in saved] == sorted((p['score'] for p in saved), reverse=True)

    tool.main([TINY_VIDEO, run['checkpoint'], video, '--topk', '2', '--cfg-options', *run['options']])
    assert 'class (' in capsys.readouterr().out                          # no label file: indices


def test_plot_curves_from_a_real_training(run, tmp_path, capsys):
    out = str(tmp_path / 'curves.png')
    load_tool('tools/analysis/plot_curves.py').main([run['work_dir'], '--out', out])
    assert 'loss, acc/top1, lr' in capsys.readouterr().out
    assert cv2.imread(out) is not None


def test_confusion_matrix_prints_the_most_confused_pairs(tmp_path, capsys):
    records = [dict(pred_scores=dict(item=torch.eye(3)[predicted]), gt_labels=dict(item=torch.tensor([true])))
               for true, predicted in [(0, 0), (1, 2), (1, 2), (2, 2), (2, 0)]]
    dump = str(tmp_path / 'results.pkl')
    with open(dump, 'wb') as f:
        pickle.dump(records, f)
    labels = tmp_path / 'labels.txt'
    labels.write_text('walk\nrun\njump\n')
    out = str(tmp_path / 'confusion.png')
    load_tool('tools/analysis/confusion_matrix.py').main([dump, '--labels', str(labels), '--out', out])
    printed = capsys.readouterr().out
    assert 'top-1 accuracy 0.4000' in printed
    assert printed.index('run -> jump: 2 (100.0%)') < printed.index('jump -> walk: 1 (50.0%)')
    assert cv2.imread(out) is not None
    config = tmp_path / 'config.py'  # names from the config's label_file when --labels is not given
    config.write_text(f"_base_ = ['{osp.abspath(TINY_VIDEO)}']\nlabel_file = '{labels}'\n")
    load_tool('tools/analysis/confusion_matrix.py').main([dump, '--config', str(config), '--out', out])
    assert 'run -> jump: 2 (100.0%)' in capsys.readouterr().out
