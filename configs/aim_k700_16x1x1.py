# Kinetics-700 | views 16x1x1: 16 frames at interval 8 (the 128-frame span of 8x1x1),
# 1 clip, 1 crop | as aim_k700_8x1x1.py otherwise (model, recipe, source).
_base_ = ['./aim_k700_8x1x1.py']
model = dict(backbone=dict(num_frames=16))
train_dataloader = dict(dataset=dict(pipeline=_base_.pipelines['16x1x1']['train']))
val_dataloader = dict(dataset=dict(pipeline=_base_.pipelines['16x1x1']['val']))
test_dataloader = dict(dataset=dict(pipeline=_base_.pipelines['16x1x1']['test']))
