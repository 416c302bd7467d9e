# Something-Something v2 | views 8x1x1: 8 frames from 8 equal segments, 1 clip,
# 1 crop (test: 3 crops) | LoKi in the temporal, spatial and MLP slots of a
# frozen CLIP ViT-B/16, plus a second LoKi before the temporal attention (in
# place of AIM's second temporal adapter).
# Recipe: data and model as AIM's SSv2 config (ICLR 2023): MLP slot scale 1.0,
# label smoothing 0.1, RandAugment and random erasing, no flip, 50 epochs;
# optimisation as the LoKi paper (CVPR 2025): 4 videos per GPU, AdamW lr 4e-4,
# cosine decay to 1e-4.
_base_ = [
    './_base_/models/loki_vit_b16_clip.py', './_base_/datasets/ssv2.py',
    './_base_/schedules/loki_adamw_50e.py', './_base_/default_runtime.py']
model = dict(
    backbone=dict(slots=dict(temporal_in=dict(type='LoKi', r1=1 / 8, r2=1 / 8)), mlp_scale=1.0),
    cls_head=dict(num_classes=174, label_smooth_eps=0.1))
train_dataloader = dict(batch_size=4)
