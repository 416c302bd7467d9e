# Something-Something v2 | views 8x1x1: 8 frames from 8 equal segments, 1 clip,
# 1 crop (test: 3 crops) | AIM adapters in the temporal, spatial and MLP slots
# of a frozen CLIP ViT-B/16, plus AIM's second temporal adapter before the
# temporal attention.
# Recipe: AIM (ICLR 2023), paper and official SSv2 config: MLP adapter scale
# 1.0, label smoothing 0.1, RandAugment and random erasing, no flip, 50 epochs.
_base_ = [
    './_base_/models/aim_vit_b16_clip.py', './_base_/datasets/ssv2.py',
    './_base_/schedules/aim_adamw_50e.py', './_base_/default_runtime.py']
model = dict(
    backbone=dict(slots=dict(temporal_in=dict(type='Adapter', ratio=0.25)), mlp_scale=1.0),
    cls_head=dict(num_classes=174, label_smooth_eps=0.1))
