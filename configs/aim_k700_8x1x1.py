# Kinetics-700 | views 8x1x1: 8 frames at interval 16, 1 clip, 1 crop | AIM adapters
# in the temporal, spatial and MLP slots of a frozen CLIP ViT-B/16.
# Recipe: AIM (ICLR 2023), its Kinetics-400 config with a 700-class head.
_base_ = [
    './_base_/models/aim_vit_b16_clip.py', './_base_/datasets/kinetics700.py',
    './_base_/schedules/aim_adamw_30e.py', './_base_/default_runtime.py']
model = dict(cls_head=dict(num_classes=700))
