"""The class token's attention on one input, with the frames the model saw (tools/visualize_attention.py,
the web demo)."""
from typing import Optional, Tuple, Union

import numpy as np
import torch
from torch import nn

from loki_video.visualization import class_attention_maps

from .inference import sample_scores
from .inputs import display_frames, is_video_config, model_inputs


def input_attention(model: nn.Module, source: Union[str, np.ndarray], mode: str = 'last', layer: int = -1,
                    size: Optional[Tuple[int, int]] = None) -> Tuple[np.ndarray, np.ndarray, torch.Tensor]:
    """Attention of one input (one view of a video): ``(frames (T, H, W, 3) uint8 RGB, maps (T, h, w) float32,
    class scores (classes,))``; ``mode`` and ``layer`` as :func:`~loki_video.visualization.class_attention_maps`."""
    cfg = model.cfg
    batch = model_inputs(cfg, source, views=(1, 1) if is_video_config(cfg) else None, size=size)
    maps, samples = class_attention_maps(model, batch, mode, layer)
    frames = display_frames(cfg, batch)
    return frames, maps[:len(frames)].numpy().astype(np.float32), sample_scores(samples[0])
