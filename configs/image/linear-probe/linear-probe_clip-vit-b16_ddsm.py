# Linear probe on DDSM with CLIP ViT-B/16. Written by configs/image/grid.py:
# change the _base_ pieces, not this file.
_base_ = [
    '../_base_/models/clip_vit_b16.py',
    '../_base_/methods/linear_probe.py',
    '../_base_/datasets/ddsm.py',
    '../_base_/schedules/adamw_cosine.py',
    '../_base_/default_runtime.py',
]
model = dict(backbone=_base_.backbone_tuning, head=dict(num_classes=_base_.num_classes))
train_cfg = dict(max_epochs=_base_.max_epochs)
