"""The private parts of libraries the project still relies on, each where no public mechanism exists, fenced:
a change of the library's source there fails this test, which names the override to review.

* ``SafeCheckpointHook._save_checkpoint_with_step`` re-implements mmengine's (the only place where mmengine prunes
  checkpoints and writes ``last_checkpoint``) so that expired files go after the new one is whole; it calls it
  from ``_save_checkpoint``. ``SafeCheckpointHook._save_best_checkpoint`` wraps mmengine's with its removals
  deferred. Neither keeps mmengine's DeepSpeed branch (checkpoint folders).
* ``TunableViT.embed`` calls timm's ``VisionTransformer._pos_embed``, as timm's own ``forward_features``
  does: timm has no public name for adding the position embedding and class token.
"""
import hashlib
import inspect

import pytest
from mmengine.hooks import CheckpointHook
from timm.models.vision_transformer import VisionTransformer

FENCED = {
    CheckpointHook._save_checkpoint: ('ec62a0a4f987522f', 'SafeCheckpointHook (it must still call '
                                                          '_save_checkpoint_with_step)'),
    CheckpointHook._save_checkpoint_with_step: ('cdbc1b54c7c88d95', 'SafeCheckpointHook._save_checkpoint_with_step'),
    CheckpointHook._save_best_checkpoint: ('8e1e477297ea08d7', 'SafeCheckpointHook._save_best_checkpoint'),
    VisionTransformer._pos_embed: ('7a2e167abcde1626', 'TunableViT.embed'),
    VisionTransformer.forward_features: ('00c84be8897149e5', 'TunableViT.embed (timm calls _pos_embed)'),
}


@pytest.mark.parametrize('function', list(FENCED), ids=[f.__qualname__ for f in FENCED])
def test_the_library_code_an_override_mirrors_is_unchanged(function):
    digest, review = FENCED[function]
    source = inspect.getsource(function)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == digest, (
        f'{function.__module__}.{function.__qualname__} changed in the installed library: review {review}, then '
        'update its digest here')
