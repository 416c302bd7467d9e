# Diving-48 | views 8x1x1: 8 frames from 8 equal segments, 1 clip, 1 crop
# (test: 3 crops) | LoKi in the temporal, spatial and MLP slots of a frozen
# CLIP ViT-B/16.
# Recipe: data, model and 50 epochs as AIM's Diving-48 config (ICLR 2023,
# official vitclip_base_diving48.py; AIM's reported Diving-48 result used 32
# frames); optimisation as the LoKi paper (CVPR 2025): 4 videos per GPU,
# AdamW lr 4e-4, cosine decay to 1e-4.
_base_ = [
    './_base_/models/loki_vit_b16_clip.py', './_base_/datasets/diving48.py',
    './_base_/schedules/loki_adamw_50e.py', './_base_/default_runtime.py']
model = dict(cls_head=dict(num_classes=48))
train_dataloader = dict(batch_size=4)
