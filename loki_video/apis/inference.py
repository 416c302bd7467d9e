"""Inference in a few lines: build a model from a config and checkpoint, classify a video or image.

Example::

    from loki_video.apis import init_model, inference_video
    model = init_model('configs/loki_k400_8x1x1.py', 'work_dirs/loki_k400_8x1x1/epoch_30.pth')
    inference_video(model, 'demo.mp4', topk=5, labels='loki_video/labels/kinetics400.txt')
    # [{'index': 12, 'score': 0.91, 'name': 'bowling'}, ...]
"""
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import BaseDataElement
from mmengine.utils import import_modules_from_strings
from torch import nn

from loki_video.checkpoints import load_checkpoint
from loki_video.config import VIDEO_SCOPE, build_model, load_config
from loki_video.datasets.multi_view import Views
from loki_video.user_error import UserValueError

from .inputs import is_video_config, model_inputs, source_kind
from .labels import resolve_labels


def _as_config(config, cfg_options=None):
    """A loaded config with its registry scope active and its ``custom_imports`` imported."""
    if isinstance(config, Config):
        cfg = config.copy()
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        init_default_scope(cfg.get('default_scope', VIDEO_SCOPE))
        import loki_video.models  # noqa: F401  (registers TunableViT)
    else:
        cfg = load_config(str(config), cfg_options)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    return cfg


def init_model(config: Union[str, Config], checkpoint: Optional[str] = None, device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """Build the model of a video or image config, load a checkpoint, set eval mode.

    Args:
        config (Union[str, Config]): a config path or a loaded ``mmengine.Config``.
        checkpoint (str, optional): a training checkpoint (full or tunable-only), an AIM
            release, or None (the weights the config builds: random or
            ``model.backbone.pretrained``). Defaults to None.
        device (str): e.g. ``'cpu'`` or ``'cuda:0'``. Defaults to ``'cpu'``.
        cfg_options (dict, optional): a dict of config overrides, as ``--cfg-options``. Defaults to None.

    Returns:
        the model in eval mode; its config is ``model.cfg``.
    """
    cfg = _as_config(config, cfg_options)
    model = build_model(cfg)
    if checkpoint is not None:
        load_checkpoint(model, cfg, checkpoint)
    model.cfg = cfg
    return model.to(device).eval()


def sample_scores(sample: BaseDataElement) -> torch.Tensor:
    """Class scores (num_classes,) of one predicted data sample (mmaction2 or mmpretrain)."""
    # mmaction2 1.x stores ``pred_scores.item``; mmpretrain ``pred_score``.
    scores = sample.pred_scores.item if 'pred_scores' in sample else sample.pred_score
    return scores.float().cpu()


def class_scores(model: nn.Module, batch: dict) -> torch.Tensor:
    """Class scores (num_classes,) of a batch of one input, all views averaged by the model."""
    with torch.no_grad():
        return sample_scores(model.test_step(batch)[0])


def top_predictions(scores: torch.Tensor, topk: int = 5, labels: Optional[Sequence[str]] = None) -> list:
    """The ``topk`` best classes, best first.

    Returns:
        ``[(index, score), ...]``, or ``[{'index', 'score', 'name'}, ...]``
        when ``labels`` (a list of names or a label file) is given.
    """
    labels = resolve_labels(labels)
    if labels is not None and len(labels) != len(scores):
        raise UserValueError(f'{len(labels)} label names for a model with {len(scores)} classes: '
                             'pass the label file of the dataset the model was trained on')
    values, indices = scores.topk(min(topk, len(scores)))
    pairs = [(int(i), float(v)) for i, v in zip(indices, values)]
    if labels is None:
        return pairs
    return [dict(index=i, score=v, name=labels[i]) for i, v in pairs]


def prediction_records(predictions: Sequence) -> List[dict]:
    """:func:`top_predictions` as ``[{'index', 'score', 'name'}]`` also without labels (``name`` None)."""
    return [p if isinstance(p, dict) else dict(index=p[0], score=p[1], name=None) for p in predictions]


def predict(model: nn.Module, source: Union[str, np.ndarray], topk: int = 5, views: Optional[Views] = None,
            labels: Union[str, Sequence[str], None] = None) -> list:
    """Classify a video path, frames array, image path or image array.

    Args:
        model (nn.Module): from :func:`init_model`.
        source (Union[str, np.ndarray]): see :func:`loki_video.apis.inputs.model_inputs`.
        topk (int): number of classes returned. Defaults to 5.
        views (Views, optional): test views ``'CLIPSxCROPS'`` (e.g. ``'3x3'``); None keeps the config's.
            Defaults to None.
        labels (Union[str, Sequence[str], None]): class names or a label file, to name the classes. Defaults to None.

    Returns:
        see :func:`top_predictions`.
    """
    return top_predictions(class_scores(model, model_inputs(model.cfg, source, views)), topk, labels)


def inference_video(model: nn.Module, video: Union[str, np.ndarray], topk: int = 5,
                    views: Optional[Views] = None, labels: Union[str, Sequence[str], None] = None) -> list:
    """Classify a video (path or (T, H, W, 3) uint8 RGB frames) with the test pipeline.

    The model needs a video config. Returns: see :func:`top_predictions`.
    """
    if not is_video_config(model.cfg):
        raise UserValueError('inference_video needs a video (mmaction) config; use inference_image')
    if source_kind(video) != 'video':
        raise UserValueError('inference_video was given an image; use inference_image')
    return predict(model, video, topk, views, labels)


def inference_image(model: nn.Module, image: Union[str, np.ndarray], topk: int = 5,
                    labels: Union[str, Sequence[str], None] = None) -> list:
    """Classify an image (path or (H, W, 3) uint8 RGB array).

    With an image (mmpretrain) config the test pipeline runs on the image.
    With a video config the image is a still clip: the frame sampler of the
    test pipeline repeats it to the clip length.

    Returns:
        see :func:`top_predictions`.
    """
    if source_kind(image) != 'image':
        raise UserValueError('inference_image was given a video; use inference_video')
    return predict(model, image, topk, labels=labels)
