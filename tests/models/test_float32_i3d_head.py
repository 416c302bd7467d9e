"""Float32I3DHead: bfloat16 mixed precision trains and tests; same weights and scores as I3DHead."""
import torch
from mmaction.models.heads import I3DHead
from mmengine.optim import OptimWrapper

from loki_video.config import build_model, load_config
from loki_video.models.heads import Float32I3DHead

from tiny_runner import TINY_CONFIG, tiny_batch


def test_bfloat16_autocast_train_and_test_steps():
    torch.manual_seed(0)
    model = build_model(load_config(str(TINY_CONFIG), {}))
    assert type(model.cls_head) is Float32I3DHead
    optimizer = OptimWrapper(torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model.train_step(tiny_batch(0), optimizer)  # I3DHead: TypeError from NumPy's top-k accuracy
        model.eval()
        with torch.no_grad():
            scores = [sample.pred_scores.item for sample in model.test_step(tiny_batch(1))]
    assert losses['loss'].dtype == torch.float32 and losses['loss'].isfinite()
    assert all(score.dtype == torch.float32 for score in scores)


def test_same_state_dict_and_scores_as_i3d_head():
    torch.manual_seed(1)
    head = I3DHead(num_classes=5, in_channels=16, dropout_ratio=0.0).eval()
    float32_head = Float32I3DHead(num_classes=5, in_channels=16, dropout_ratio=0.0).eval()
    float32_head.load_state_dict(head.state_dict())  # strict: the same keys and shapes
    features = torch.randn(2, 16, 1, 3, 3)
    torch.testing.assert_close(float32_head(features), head(features), rtol=0, atol=0)
    want = head(features.bfloat16().float())
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert head(features).dtype == torch.bfloat16
        torch.testing.assert_close(float32_head(features.bfloat16()), want, rtol=0, atol=0)
