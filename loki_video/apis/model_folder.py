"""A model folder: what it takes to share a trained model, and to load it from the folder alone.

``tools/export_checkpoint.py CONFIG CHECKPOINT --folder OUT`` (:func:`write_model_folder`) writes:

* ``config.py``: the whole config, dumped (the training run's data paths stay as they were; loading
  needs none of them);
* ``tunable.safetensors``: the tuned weights only (or every weight where the frozen ones come from no
  file, ``pretrained=None``), with the record of the frozen weights they were trained on (their
  sha256) in the file's metadata; no pickle;
* ``classes.txt``: the class names, one a line;
* ``metrics.json``: tuned and total parameters, GFLOPs per view, the test views and, given a test
  report of ``tools/test.py``, its accuracy;
* ``README.md``: a model card with the YAML header the Hugging Face Hub reads.

:func:`init_recognizer` builds the model from such a folder: the config's backbone is built and its
frozen weights found as ``model.backbone.pretrained`` is found in training, checked against the
recorded digest, and the tuned weights loaded exactly (the checks of every checkpoint load). A hub
snapshot downloaded to disk is such a folder.
"""
import argparse
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config
from torch import nn

from loki_video.checkpoints.atomic_write import write_atomically
from loki_video.checkpoints.pretrained import KNOWN_WEIGHTS
from loki_video.checkpoints.tunable import META_KEY, pretrained_source, strip_frozen
from loki_video.user_error import UserFileError, UserValueError

from .inference import init_model
from .labels import read_labels, resolve_labels

CONFIG, WEIGHTS, CLASSES, METRICS, CARD = 'config.py', 'tunable.safetensors', 'classes.txt', 'metrics.json', 'README.md'
# Hub ids of the frozen weights the known names and their cache files stand for.
BASE_MODELS = {'openai-clip-vit-b16': 'openai/clip-vit-base-patch16',
               'openai-clip-vit-l14': 'openai/clip-vit-large-patch14',
               'timm-vit-b16-in21k': 'timm/vit_base_patch16_224.augreg_in21k'}
# Dataset names of the Hub by the words of a config's file name.
DATASETS = {'k400': 'kinetics-400', 'k700': 'kinetics-700', 'ssv2': 'something-something-v2', 'diving48': 'diving48'}


def is_model_folder(path: str) -> bool:
    """Whether ``path`` is a folder holding a model folder's config and weights."""
    return osp.isdir(path) and osp.isfile(osp.join(path, CONFIG)) and osp.isfile(osp.join(path, WEIGHTS))


def _base_model(cfg: Config) -> Optional[str]:
    source = pretrained_source(cfg)
    for name, (cached, _) in KNOWN_WEIGHTS.items():
        if source in (name, cached) or (source and osp.expanduser(source) == osp.expanduser(cached)):
            return BASE_MODELS[name]
    return None


def _numbers(model: nn.Module, cfg: Config, test_report: Optional[str]) -> dict:
    from loki_video.analysis.flops import count_flops
    tuned = sum(p.numel() for p in model.parameters() if p.requires_grad)
    flops = count_flops(model, cfg)
    numbers = dict(tuned_parameters=tuned, total_parameters=sum(p.numel() for p in model.parameters()),
                   gflops_per_view=float(f"{flops['flops_per_view'] / 1e9:.4g}"), input_shape=flops['input_shape'],
                   test_views=dict(clips=flops['clips'], crops=flops['crops']))
    if test_report is not None:
        try:
            with open(test_report) as file:
                report = json.load(file)
        except (OSError, json.JSONDecodeError) as error:
            raise UserFileError(f'--metrics {test_report}: not a test report of tools/test.py ({error})') from None
        numbers['test'] = {key: report.get(key) for key in ('top1', 'top5', 'mean_class_accuracy', 'views',
                                                              'clips', 'crops', 'evaluated', 'excluded')}
    return numbers


def _count(number: int, noun: str) -> str:
    return f'{number} {noun}' + ('' if number == 1 else 's')


def _card(cfg: Config, numbers: dict, classes: List[str], config_path: str, frozen: dict) -> str:
    config_name = osp.basename(config_path)
    words = osp.splitext(config_name)[0].split('_')
    datasets = [DATASETS[word] for word in words if word in DATASETS]
    base_model = _base_model(cfg)
    header = ['---', 'library_name: loki_video', 'pipeline_tag: video-classification',
              'tags:', '- video-classification', '- action-recognition', '- parameter-efficient-fine-tuning',
              f'- {words[0]}' if words[0] in ('loki', 'aim', 'linear') else None, 'metrics:', '- accuracy']
    header += ['datasets:'] + [f'- {name}' for name in datasets] if datasets else []
    header += [f'base_model: {base_model}'] if base_model else []
    header.append('---')
    test = numbers.get('test')
    accuracy = ('not measured (export with `--metrics work_dirs/.../test_3x1.json` from tools/test.py)' if not test
                else ', '.join(f'{label} {test[key]:.4f}' for key, label in (('top1', 'top-1'), ('top5', 'top-5'),
                                                                            ('mean_class_accuracy', 'mean class'))
                               if test.get(key) is not None) + f" ({test['clips']}x{test['crops']} views, "
                f"{test['evaluated']} videos)")
    backbone = cfg.model.backbone
    slots = backbone.get('slots') or {}
    method = ', '.join(sorted({f"{slot['type']} ({name})" for name, slot in slots.items() if slot})) or \
        'none (the head only)'
    source = pretrained_source(cfg)
    frozen_line = (f"`{source}` (the loader checks that the frozen weights it builds have sha256 "
                   f"`{frozen['frozen_sha256']}`)" if frozen.get('mode') == 'tunable'
                   else 'stored in `tunable.safetensors` with the tuned ones')
    return '\n'.join(line for line in header if line is not None) + f"""

# {osp.splitext(config_name)[0]}

A video classifier of loki_video: a frozen image ViT
(`{backbone.get('arch', '')}`) tuned for video with few parameters.

| | |
|---|---|
| tuned modules | {method} |
| backbone | {backbone.get('type', '')} `{backbone.get('arch', '')}`, {backbone.get('num_frames', '')} frames |
| frozen weights | {frozen_line} |
| tuned / total parameters | {numbers['tuned_parameters']:,} / {numbers['total_parameters']:,} |
| GFLOPs per view | {numbers['gflops_per_view']} (input {numbers['input_shape']}) |
| test views | {_count(numbers['test_views']['clips'], 'clip')} x {_count(numbers['test_views']['crops'], 'crop')} |
| accuracy | {accuracy} |
| classes | {len(classes)} (`classes.txt`) |

## Use

With loki_video installed, from its repository root (`THIS_FOLDER`: this folder, or the Hub's snapshot of it):

```bash
python tools/demo.py THIS_FOLDER video.mp4               # top-5 classes
python tools/test.py THIS_FOLDER --views 3x1             # on the test list of config.py
```

```python
from loki_video.apis import init_recognizer, inference_video
model = init_recognizer('THIS_FOLDER', device='cpu')
inference_video(model, 'video.mp4', labels=model.class_names)
```

Trained with `python tools/train.py {config_path if not osp.isabs(config_path) else config_name}` (the config
is `config.py` here).
"""


def write_model_folder(config: str, checkpoint: str, out: str, test_report: Optional[str] = None,
                       cfg_options: Optional[dict] = None) -> Dict[str, int]:
    """Write the model folder of ``checkpoint`` (trained with ``config``) to ``out`` (module docstring).

    Returns:
        ``{file name: bytes}`` of the files written.
    """
    from safetensors.torch import save
    model = init_model(config, checkpoint, device='cpu', cfg_options=cfg_options)
    cfg = model.cfg
    classes = resolve_labels(None, cfg) or [f'class {index}' for index in range(cfg.model.cls_head.num_classes)]
    if len(classes) != cfg.model.cls_head.num_classes:
        raise UserValueError(f'{len(classes)} class names for {cfg.model.cls_head.num_classes} classes: fix label_file')
    exported = dict(state_dict=model.state_dict())
    strip_frozen(exported, model, cfg)
    record = exported['meta'][META_KEY]
    tensors = {key: value.detach().contiguous() for key, value in exported['state_dict'].items()}
    numbers = _numbers(model, cfg, test_report)
    config_path = str(getattr(config, 'filename', config))
    os.makedirs(out, exist_ok=True)
    files = {WEIGHTS: save(tensors, metadata={'format': 'pt', 'meta': json.dumps({META_KEY: record})}),
             CONFIG: cfg.pretty_text.encode(),
             CLASSES: ''.join(f'{name}\n' for name in classes).encode(),
             METRICS: json.dumps(numbers, indent=2).encode(),
             CARD: _card(cfg, numbers, classes, config_path, record).encode()}
    for name, data in files.items():
        write_atomically(osp.join(out, name), data)
    return {name: len(data) for name, data in files.items()}


def model_files(model: str, checkpoint: Optional[str] = None) -> Tuple[str, str]:
    """``(config, checkpoint)`` of a tool's model arguments: a model folder's files, or the two as given.

    Raises:
        UserValueError: a folder given with a checkpoint, or a config without one.
    """
    if osp.isdir(model):
        if not is_model_folder(model):
            raise UserFileError(f'{model}: not a model folder (it needs {CONFIG} and {WEIGHTS}); write one with '
                                'tools/export_checkpoint.py CONFIG CHECKPOINT --folder OUT')
        if checkpoint is not None:
            raise UserValueError(f'{model} is a model folder: it holds its weights, give no checkpoint after it')
        return osp.join(model, CONFIG), osp.join(model, WEIGHTS)
    if checkpoint is None:
        raise UserValueError(f'{model}: give a checkpoint after the config, or a model folder instead of both')
    return model, checkpoint


def split_model_arguments(arguments: Sequence[str]) -> Tuple[str, str, List[str], Optional[str]]:
    """A tool's positional arguments ``CONFIG CHECKPOINT REST...`` or ``FOLDER REST...`` as
    ``(config, checkpoint, rest, class-name file of the folder or None)``."""
    model, *rest = arguments
    if osp.isdir(model):
        config, checkpoint = model_files(model)
        classes = osp.join(model, CLASSES)
        return config, checkpoint, rest, classes if osp.isfile(classes) else None
    if not rest:
        raise UserValueError(f'{model}: give a checkpoint after the config, or a model folder instead of both')
    return model, rest[0], rest[1:], None


def add_model_arguments(parser: argparse.ArgumentParser, then: str, help: str) -> None:
    """A tool's positional arguments ``CONFIG CHECKPOINT THEN...`` or ``FOLDER THEN...`` (read them with
    :func:`take_model_arguments`)."""
    parser.add_argument('model', metavar='CONFIG|FOLDER', help='a config, or a model folder')
    parser.add_argument('arguments', nargs='+', metavar=f'[CKPT] {then}',
                        help=f'after a config its checkpoint (full or tunable-only, or an AIM release); then {help}')


def take_model_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace, then: str,
                         count: Optional[int] = 1) -> List[str]:
    """Set ``args.config``, ``args.checkpoint`` and ``args.classes`` (:func:`split_model_arguments`); return
    the arguments after the model, ``count`` of them (None: one or more), else a usage error."""
    args.config, args.checkpoint, rest, args.classes = split_model_arguments([args.model] + args.arguments)
    if (len(rest) != count) if count is not None else not rest:
        parser.error(f'give {count or "at least one"} {then} after the model, got {len(rest)}')
    return rest


def init_recognizer(folder: str, device: str = 'cpu', cfg_options: Optional[dict] = None) -> nn.Module:
    """The model of a model folder, in eval mode, with ``model.cfg`` and ``model.class_names``.

    Raises:
        UserFileError: not a model folder, or its frozen weights cannot be found (one line, as in training).
        CheckpointMismatchError: weights that do not fit the config, or frozen weights other than recorded.
    """
    if not osp.isdir(folder):
        raise UserFileError(f'{folder}: no such model folder')
    model = init_model(*model_files(folder), device=device, cfg_options=cfg_options)
    model.class_names = read_labels(osp.join(folder, CLASSES)) if osp.isfile(osp.join(folder, CLASSES)) else None
    return model

