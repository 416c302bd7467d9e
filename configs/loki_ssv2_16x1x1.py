# Something-Something v2 | views 16x1x1: 16 frames from 16 equal segments,
# 1 clip, 1 crop (test: 3 crops) | as loki_ssv2_8x1x1.py otherwise (model,
# recipe, source).
_base_ = ['./loki_ssv2_8x1x1.py']
model = dict(backbone=dict(num_frames=16))
train_dataloader = dict(dataset=dict(pipeline=_base_.pipelines['16x1x1']['train']))
val_dataloader = dict(dataset=dict(pipeline=_base_.pipelines['16x1x1']['val']))
test_dataloader = dict(dataset=dict(pipeline=_base_.pipelines['16x1x1']['test']))
