"""loki_video.tool_main: every tool answers a user's mistake in one line and exit status 1, --debug shows more."""
import os.path as osp
import subprocess
import sys

import pytest

from loki_video.config import build_model, load_config
from loki_video.datasets.data_paths import check_annotations_have_entries
from loki_video.tool_main import explain_unexpected_argument, run_main
from loki_video.user_error import UserKeyError, UserValueError

from tiny_runner import TINY_CONFIG
from tool_loading import load_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def run_tool_main(tool, argv, monkeypatch, capsys):
    """``(exit status, stderr)`` of ``tools/<tool>`` run through run_main with ``argv``."""
    module = load_tool(f'tools/{tool}')
    monkeypatch.setattr(sys, 'argv', [tool.split('/')[-1], *argv])
    with pytest.raises(SystemExit) as ended:
        run_main(module.main)
    return ended.value.code, capsys.readouterr().err


@pytest.mark.parametrize('tool,argv', [
    ('demo.py', ['no_such_config.py', 'ckpt.pth', __file__]),
    ('visualize_attention.py', ['no_such_config.py', 'ckpt.pth', __file__, '--out', 'out']),
    ('analysis/params.py', ['no_such_config.py']),
    ('analysis/get_flops.py', ['no_such_config.py']),
    ('export_checkpoint.py', ['no_such_config.py', 'ckpt.pth', 'out.pth']),
])
def test_a_missing_config_is_one_line(tool, argv, monkeypatch, capsys):
    status, err = run_tool_main(tool, argv, monkeypatch, capsys)
    assert status == 1
    assert err.strip().splitlines() == [f'{tool.split("/")[-1]}: config no_such_config.py does not exist '
                                        "(configs/ holds the project's: docs/configs.md)"]


def test_debug_shows_the_traceback(monkeypatch):
    monkeypatch.setattr(sys, 'argv', ['params.py', 'no_such_config.py', '--debug'])
    with pytest.raises(FileNotFoundError, match='no_such_config.py'):
        run_main(load_tool('tools/analysis/params.py').main)


@pytest.mark.parametrize('fault', [ZeroDivisionError('a bug'), KeyError('imgs'), ValueError('a library check'),
                                   FileNotFoundError('no path attached')])
def test_a_fault_of_the_tool_keeps_its_traceback(monkeypatch, fault):
    """Only the project's checks of a user's input are one line: a KeyError or ValueError from inside keeps
    its traceback (before, ``KeyError('imgs')`` printed as ``tool: imgs``)."""
    monkeypatch.setattr(sys, 'argv', ['tool'])

    def broken():
        raise fault
    with pytest.raises(type(fault)):
        run_main(broken)


@pytest.mark.parametrize('error, line', [
    (UserValueError('--window must be positive'), 'tool: --window must be positive'),
    (UserKeyError("unknown backbone arch 'vit_x'"), "tool: unknown backbone arch 'vit_x'"),
    (KeyError('NoSuchHead is not in the mmaction::model registry. Please check ...'),
     'tool: NoSuchHead is not in the mmaction::model registry. Please check ...'),
    (PermissionError(13, 'Permission denied', '/read-only/out.json'), 'tool: /read-only/out.json: Permission denied'),
])
def test_the_projects_checks_and_os_errors_on_a_path_are_one_line(monkeypatch, capsys, error, line):
    monkeypatch.setattr(sys, 'argv', ['tool'])

    def refused():
        raise error
    with pytest.raises(SystemExit) as ended:
        run_main(refused)
    assert ended.value.code == 1 and capsys.readouterr().err.splitlines() == [line]


@pytest.mark.parametrize('key,want', [
    ('model.backbone.pretraned', "model.backbone.pretraned: TunableViT takes no argument 'pretraned'; did you mean "
                                 'pretrained? It takes: arch, img_size, num_frames, slots, mlp_scale, lora, '
                                 'num_prompts, trainable, drop_path_rate, with_cp, pretrained'),
    ('model.backbone.slots.mlp.kan_backnd', "model.backbone.slots.mlp.kan_backnd: KANLinear takes no argument "
                                            "'kan_backnd'; did you mean kan_backend? It takes: in_features, "
                                            'out_features, grid_size, spline_order, grid_range, base_activation, '
                                            'spline_input, kan_backend'),
])
def test_an_unknown_nested_argument_names_its_key_and_the_accepted_ones(key, want):
    cfg = load_config(str(TINY_CONFIG), {key: 'x'})
    with pytest.raises(TypeError) as raised:
        build_model(cfg)
    assert explain_unexpected_argument(raised.value, cfg) == want


def test_an_empty_annotation_list_is_named(tmp_path):
    empty = tmp_path / 'train_list.txt'
    empty.write_text('\n  \n')
    with pytest.raises(ValueError, match=r'train_dataloader.dataset.ann_file: file .*train_list.txt has no entries'):
        check_annotations_have_entries([('train_dataloader.dataset.ann_file', str(empty), 'file')])
    empty.write_text('a.mp4 0\n')
    check_annotations_have_entries([('train_dataloader.dataset.ann_file', str(empty), 'file')])


def test_check_videos_on_an_empty_list_fails(tmp_path):
    """In a process of its own: loading check_videos.py here again would replace the module whose functions
    tests/tools/test_check_videos.py hands to its worker pool (they are pickled by module name)."""
    (tmp_path / 'list.txt').write_text('')
    result = subprocess.run([sys.executable, 'tools/data/check_videos.py', str(tmp_path / 'list.txt'), str(tmp_path)],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and 'list.txt has no entries: nothing to check' in result.stderr
