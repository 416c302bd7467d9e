"""Full checkpoints: every weight of a model, for tools that know nothing of tunable-only ones.

A tunable-only checkpoint needs the model built from its pretrained file. mmaction2's
``init_recognizer``, ``load_from`` of other codebases and plain ``torch.load`` users do not do
that; a full checkpoint (``state_dict`` holding every tensor) works with all of them.
"""
import io
import os.path as osp
from typing import Optional

import torch

from loki_video.checkpoints.atomic_write import write_atomically

from .inference import init_model


def export_checkpoint(config: str, checkpoint: str, out: str, cfg_options: Optional[dict] = None) -> int:
    """Load ``checkpoint`` as ``init_model`` does (exactly) and write every weight to ``out``.

    Args:
        config (str): the config the checkpoint was trained with (path or ``mmengine.Config``).
        checkpoint (str): any checkpoint this project loads (tunable-only, full, AIM's releases).
        out (str): ``*.safetensors`` (tensors only; config and source in the file's metadata) or any
            other name for a torch checkpoint ``{'state_dict', 'meta'}`` as mmengine saves.
        cfg_options (dict, optional): config overrides, as ``--cfg-options``. Defaults to None.

    Returns:
        the number of tensors written.
    """
    model = init_model(config, checkpoint, device='cpu', cfg_options=cfg_options)
    state_dict = {key: value.detach().contiguous() for key, value in model.state_dict().items()}
    source = dict(config=str(config) if not hasattr(config, 'filename') else str(config.filename),
                  checkpoint=osp.abspath(str(checkpoint)))
    if str(out).endswith('.safetensors'):
        from safetensors.torch import save
        data = save(state_dict, metadata=dict(format='pt', **source))
    else:
        buffer = io.BytesIO()
        torch.save(dict(state_dict=state_dict, meta=dict(tunable_checkpoint=dict(mode='full'), exported_from=source)),
                   buffer)
        data = buffer.getvalue()
    write_atomically(out, data)
    return len(state_dict)
