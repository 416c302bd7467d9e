# Diving-48 | views 16x1x1: 16 frames from 16 equal segments, 1 clip, 1 crop
# (test: 3 crops) | as aim_diving48_8x1x1.py otherwise (model, recipe, source).
_base_ = ['./aim_diving48_8x1x1.py']
model = dict(backbone=dict(num_frames=16))
train_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=16, num_clips=1),
    *_base_.train_transforms]
val_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=16, num_clips=1, test_mode=True),
    *_base_.val_transforms]
test_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=16, num_clips=1, test_mode=True),
    *_base_.test_transforms]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
