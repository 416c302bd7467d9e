"""A model folder: written from a config and checkpoint, loaded from the folder alone, refused when it does not fit."""
import json
import shutil

import pytest
import torch
import yaml
from safetensors import safe_open

from loki_video.apis import init_model, init_recognizer
from loki_video.apis.model_folder import split_model_arguments, write_model_folder
from loki_video.checkpoints import CheckpointMismatchError
from loki_video.user_error import UserFileError, UserValueError

from tiny_runner import TINY_CONFIG, write_pretrained
from tool_loading import load_tool

demo = load_tool('tools/demo.py')


def test_the_folder_holds_the_tuned_weights_a_card_and_loads_to_the_same_model(tuned_tiny, tmp_path):
    checkpoint, options = tuned_tiny
    files = write_model_folder(str(TINY_CONFIG), checkpoint, str(tmp_path / 'folder'), cfg_options=options)
    assert sorted(files) == ['README.md', 'classes.txt', 'config.py', 'metrics.json', 'tunable.safetensors']
    reference = init_model(str(TINY_CONFIG), checkpoint, cfg_options=options)
    with safe_open(str(tmp_path / 'folder' / 'tunable.safetensors'), framework='pt') as weights:
        stored = set(weights.keys())
        record = json.loads(weights.metadata()['meta'])['tunable_checkpoint']
    tuned = {name for name, parameter in reference.named_parameters() if parameter.requires_grad}
    assert tuned <= stored and not stored & {name for name, p in reference.named_parameters() if not p.requires_grad}
    assert record['mode'] == 'tunable' and len(record['frozen_sha256']) == 64
    loaded = init_recognizer(str(tmp_path / 'folder'))
    assert loaded.state_dict().keys() == reference.state_dict().keys()
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), reference.state_dict().values()))
    assert loaded.class_names == [f'class {index}' for index in range(8)]
    card = (tmp_path / 'folder' / 'README.md').read_text()
    header = yaml.safe_load(card.split('---')[1])
    assert header['library_name'] == 'loki_video' and 'video-classification' in header['tags']
    numbers = json.loads((tmp_path / 'folder' / 'metrics.json').read_text())
    assert numbers['tuned_parameters'] == sum(p.numel() for p in reference.parameters() if p.requires_grad)
    assert f"{numbers['tuned_parameters']:,}" in card and numbers['gflops_per_view'] > 0


def test_the_demo_gives_the_same_scores_from_the_folder_as_from_config_and_checkpoint(tuned_tiny, tmp_path, real_video,
                                                                                       capsys):
    checkpoint, options = tuned_tiny
    write_model_folder(str(TINY_CONFIG), checkpoint, str(tmp_path / 'folder'), cfg_options=options)
    demo.main([str(TINY_CONFIG), checkpoint, real_video, '--cfg-options',
               f"model.backbone.pretrained={options['model.backbone.pretrained']}"])
    from_checkpoint = capsys.readouterr().out.splitlines()[1:]
    demo.main([str(tmp_path / 'folder'), real_video])
    from_folder = capsys.readouterr().out.splitlines()[1:]
    assert [line.replace('class', '').split()[-1] for line in from_folder] == \
        [line.split()[-1] for line in from_checkpoint] and len(from_folder) == 5


def test_frozen_weights_stored_where_no_file_holds_them(tmp_path):
    model = init_model(str(TINY_CONFIG), cfg_options={'model.backbone.pretrained': None})
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'random.pth')
    write_model_folder(str(TINY_CONFIG), str(tmp_path / 'random.pth'), str(tmp_path / 'folder'),
                       cfg_options={'model.backbone.pretrained': None})
    with safe_open(str(tmp_path / 'folder' / 'tunable.safetensors'), framework='pt') as weights:
        assert set(weights.keys()) == set(model.state_dict())
    loaded = init_recognizer(str(tmp_path / 'folder'))
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), model.state_dict().values()))


def test_other_frozen_weights_and_weights_of_another_shape_are_refused_in_one_line(tuned_tiny, tmp_path):
    checkpoint, options = tuned_tiny
    write_model_folder(str(TINY_CONFIG), checkpoint, str(tmp_path / 'folder'), cfg_options=options)
    shutil.copytree(tmp_path / 'folder', tmp_path / 'other')
    config = tmp_path / 'other' / 'config.py'
    config.write_text(config.read_text().replace('num_classes=8', 'num_classes=5'))
    with pytest.raises(CheckpointMismatchError, match='cls_head') as refused:
        init_recognizer(str(tmp_path / 'other'))
    write_pretrained(options['model.backbone.pretrained'], seed=5)   # the frozen file changed since
    with pytest.raises(CheckpointMismatchError, match='trained on the frozen weights of') as refused:
        init_recognizer(str(tmp_path / 'folder'))
    assert '\n' not in str(refused.value)


def test_the_card_gives_the_test_accuracy_and_tools_take_a_folder_for_config_and_checkpoint(tuned_tiny, tmp_path):
    checkpoint, options = tuned_tiny
    report = tmp_path / 'test_3x1.json'
    report.write_text(json.dumps(dict(top1=0.625, top5=0.875, mean_class_accuracy=0.6, views=3, clips=3, crops=1,
                                      evaluated=16, excluded=0)))
    write_model_folder(str(TINY_CONFIG), checkpoint, str(tmp_path / 'folder'), str(report), cfg_options=options)
    assert 'top-1 0.6250, top-5 0.8750, mean class 0.6000 (3x1 views, 16 videos)' in \
        (tmp_path / 'folder' / 'README.md').read_text()
    assert json.loads((tmp_path / 'folder' / 'metrics.json').read_text())['test']['top1'] == 0.625
    folder = str(tmp_path / 'folder')
    assert split_model_arguments([folder, 'a.mp4', 'b.mp4']) == (
        f'{folder}/config.py', f'{folder}/tunable.safetensors', ['a.mp4', 'b.mp4'], f'{folder}/classes.txt')
    assert split_model_arguments(['c.py', 'c.pth', 'a.mp4']) == ('c.py', 'c.pth', ['a.mp4'], None)
    with pytest.raises(UserValueError, match='give a checkpoint after the config'):
        split_model_arguments(['c.py'])
    with pytest.raises(UserFileError, match='not a model folder'):
        split_model_arguments([str(tmp_path), 'a.mp4'])
