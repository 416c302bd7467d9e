# Kinetics-400 | views 16x1x1: 16 frames at interval 8 (the 128-frame span of
# 8x1x1), 1 clip, 1 crop | as loki_k400_8x1x1.py otherwise (ViT-L/14, recipe, source).
_base_ = ['./loki_k400_8x1x1.py']
model = dict(backbone=dict(num_frames=16))
train_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', clip_len=16, frame_interval=8, num_clips=1),
    *_base_.train_transforms]
val_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', clip_len=16, frame_interval=8, num_clips=1, test_mode=True),
    *_base_.val_transforms]
test_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', clip_len=16, frame_interval=8, num_clips=1, test_mode=True),
    *_base_.test_transforms]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
