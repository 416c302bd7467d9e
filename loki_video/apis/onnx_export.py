"""A video recognizer as an ONNX graph (``torch.onnx``'s dynamo exporter), checked in onnxruntime.

The graph takes what a config's test pipeline makes of one video per batch row, pixels as floats,
``inputs (N, V, 3, T, H, W)`` (V = clips x crops views; N is dynamic), and gives the class
probabilities averaged over the views, ``scores (N, classes)``: the data preprocessor's
normalisation, the backbone, the head and the head's view averaging (``average_clips``), as
``model.test_step`` computes them. On CPU the KAN layers export in closed form.
"""
import statistics
import time
from typing import Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config
from torch import nn

from loki_video.user_error import UserValueError

from ..analysis.model_inputs import view_shape
from ..datasets.multi_view import Views, count_views
from .inference import init_model, sample_scores
from .inputs import inference_pipeline, is_video_config, video_inputs


class ExportableRecognizer(nn.Module):
    """``inputs (N, V, 3, T, H, W)`` float pixels -> ``scores (N, classes)``, as ``test_step`` averages views."""

    def __init__(self, recognizer: nn.Module) -> None:
        super().__init__()
        self.backbone = recognizer.backbone
        self.head = recognizer.cls_head
        preprocessor = recognizer.data_preprocessor
        self.register_buffer('mean', preprocessor.mean.float().view(1, 1, -1, 1, 1, 1))
        self.register_buffer('std', preprocessor.std.float().view(1, 1, -1, 1, 1, 1))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        views = inputs.shape[1]
        x = ((inputs - self.mean) / self.std).flatten(0, 1)          # (N * V, 3, T, H, W)
        return self.head.average_clip(self.head(self.backbone(x)), views)   # as test_step: (N, classes)


def input_shape(cfg: Config, views: Optional[Views] = None) -> Tuple[int, ...]:
    """``(V, 3, T, H, W)`` of one video through the config's test pipeline (``views``: clips x crops)."""
    clips, crops = count_views(inference_pipeline(cfg, views))
    return (clips * crops, *view_shape(cfg))


def export_onnx(config: str, checkpoint: str, out: str, views: Optional[Views] = None,
                cfg_options: Optional[dict] = None) -> Tuple[nn.Module, Tuple[int, ...]]:
    """Write the recognizer of ``config`` with ``checkpoint`` to ``out`` (.onnx); returns ``(model, shape)``:
    the PyTorch model (eval mode) and the input shape of one video."""
    model = init_model(config, checkpoint, 'cpu', cfg_options)
    if not is_video_config(model.cfg):
        raise UserValueError(f'{config}: ONNX export takes video (mmaction2) configs; this is an image config')
    shape = input_shape(model.cfg, views)
    example = torch.rand(2, *shape) * 255   # a batch of 2: the exporter keeps a batch of 1 static
    torch.onnx.export(ExportableRecognizer(model).eval(), (example, ), out, dynamo=True, input_names=['inputs'],
                      output_names=['scores'], dynamic_shapes=({0: torch.export.Dim.DYNAMIC}, ), verbose=False)
    return model, shape


def verify_onnx(onnx_file: str, model: nn.Module, video: str, views: Optional[Views] = None,
                repeats: int = 5) -> dict:
    """Run ``video`` through the test pipeline, then the ONNX graph in onnxruntime (CPU) and ``model.test_step``:
    ``dict(max_abs_diff, onnxruntime_ms, pytorch_ms, threads)`` (medians of ``repeats`` runs, interleaved, both on
    ``threads``, torch's intra-op thread count)."""
    import onnxruntime
    batch = video_inputs(model.cfg, video, views)
    options = onnxruntime.SessionOptions()  # both runtimes on torch's thread count, so that the times compare
    options.intra_op_num_threads, options.inter_op_num_threads = torch.get_num_threads(), 1
    session = onnxruntime.InferenceSession(onnx_file, options, providers=['CPUExecutionProvider'])
    pixels = {'inputs': batch['inputs'][0][None].float().numpy()}
    times = dict(onnxruntime=[], pytorch=[])
    for _ in range(repeats):
        start = time.perf_counter()
        got = session.run(None, pixels)[0][0]
        times['onnxruntime'].append(time.perf_counter() - start)
        start = time.perf_counter()
        with torch.no_grad():
            want = sample_scores(model.test_step(batch)[0]).numpy()
        times['pytorch'].append(time.perf_counter() - start)
    return dict(max_abs_diff=float(np.abs(got - want).max()), threads=torch.get_num_threads(),
                **{f'{name}_ms': statistics.median(values) * 1e3 for name, values in times.items()})
