"""Inference on a video or an image in a few lines (see :mod:`loki_video.apis.inference`)."""
from .inference import (
    class_scores,
    inference_image,
    inference_video,
    init_model,
    load_checkpoint,
    predict,
    sample_scores,
    top_predictions,
)
from .inputs import UnreadableInputError, collect_inputs, display_frames, model_inputs
from .labels import KINETICS400_LABELS, read_labels, resolve_labels
from .model_folder import init_recognizer

__all__ = ['init_model', 'init_recognizer', 'load_checkpoint', 'inference_video', 'inference_image', 'predict',
           'class_scores', 'sample_scores', 'top_predictions', 'collect_inputs', 'model_inputs', 'display_frames',
           'read_labels', 'resolve_labels', 'KINETICS400_LABELS', 'UnreadableInputError']
