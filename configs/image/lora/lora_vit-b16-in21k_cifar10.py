# LoRA on CIFAR-10 with ViT-B/16 (ImageNet-21K). Written by configs/image/grid.py:
# change the _base_ pieces, not this file.
_base_ = [
    '../_base_/models/vit_b16_in21k.py',
    '../_base_/methods/lora.py',
    '../_base_/datasets/cifar10.py',
    '../_base_/schedules/adamw_cosine.py',
    '../_base_/default_runtime.py',
]
model = dict(backbone=_base_.backbone_tuning, head=dict(num_classes=_base_.num_classes))
train_cfg = dict(max_epochs=_base_.max_epochs)
