# Kinetics-400 | views 16x1x1: 16 frames at interval 8 (the 128-frame span of
# 8x1x1), 1 clip, 1 crop | as loki_k400_8x1x1.py otherwise (ViT-L/14, recipe, source).
_base_ = ['./loki_k400_8x1x1.py']
model = dict(backbone=dict(num_frames=16))
train_dataloader = dict(dataset=dict(pipeline=_base_.pipelines['16x1x1']['train']))
val_dataloader = dict(dataset=dict(pipeline=_base_.pipelines['16x1x1']['val']))
test_dataloader = dict(dataset=dict(pipeline=_base_.pipelines['16x1x1']['test']))
