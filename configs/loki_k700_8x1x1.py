# Kinetics-700 | views 8x1x1: 8 frames at interval 16, 1 clip, 1 crop | LoKi in the
# temporal, spatial and MLP slots of a frozen CLIP ViT-B/16.
# Recipe: data and model as AIM's Kinetics-400 config (ICLR 2023) with a
# 700-class head; optimisation as the LoKi paper (CVPR 2025): 4 videos per
# GPU, AdamW lr 4e-4, cosine decay to 1e-4.
_base_ = [
    './_base_/models/loki_vit_b16_clip.py', './_base_/datasets/kinetics700.py',
    './_base_/schedules/loki_adamw_30e.py', './_base_/default_runtime.py']
model = dict(cls_head=dict(num_classes=700))
train_dataloader = dict(batch_size=4)
