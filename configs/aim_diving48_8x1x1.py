# Diving-48 | views 8x1x1: 8 frames from 8 equal segments, 1 clip, 1 crop
# (test: 3 crops) | AIM adapters in the temporal, spatial and MLP slots of a
# frozen CLIP ViT-B/16.
# Recipe: AIM's Diving-48 config (ICLR 2023, official
# vitclip_base_diving48.py): segment-uniform sampling, 50 epochs, AdamW lr
# 3e-4. Differs from the Diving-48 result in AIM's paper and README, which
# was trained and tested on 32 frames; these configs use 8 and 16 frames (use
# clip_len=32 in the three UniformSample steps and num_frames=32 for that run).
_base_ = [
    './_base_/models/aim_vit_b16_clip.py', './_base_/datasets/diving48.py',
    './_base_/schedules/aim_adamw_50e.py', './_base_/default_runtime.py']
model = dict(cls_head=dict(num_classes=48))
