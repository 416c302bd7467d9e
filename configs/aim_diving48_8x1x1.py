# Diving-48 | views 8x1x1: 8 frames at interval 16, 1 clip, 1 crop | AIM adapters
# in the temporal, spatial and MLP slots of a frozen CLIP ViT-B/16.
# Recipe: AIM (ICLR 2023), its Kinetics-400 config with a 48-class head (AIM's
# own Diving-48 runs use 32 frames; these views match the other datasets).
_base_ = [
    './_base_/models/aim_vit_b16_clip.py', './_base_/datasets/diving48.py',
    './_base_/schedules/aim_adamw_30e.py', './_base_/default_runtime.py']
model = dict(cls_head=dict(num_classes=48))
