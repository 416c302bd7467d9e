# Stages 2-4 of the demo: the frame-pretrained tiny ViT, frozen, fine-tuned
# on the synthetic action videos (8 classes that need temporal order) with a
# tuning method chosen by the child config (loki.py, aim.py, linear_probe.py).
_base_ = ['./tiny_vit.py']
default_scope = 'mmaction'

num_frames = 8
model = dict(
    type='Recognizer3D',
    backbone=dict(
        num_frames=num_frames,
        mlp_scale=0.5,
        trainable=('slots', 'temporal_embed', 'final_norm'),
        # Written by frame_pretrain.py (tools/run_demo.py passes the file it made).
        pretrained='work_dirs/demo/pretrain/epoch_10.pth'),
    cls_head=dict(
        type='I3DHead',
        in_channels=96,
        num_classes=8,
        spatial_type='avg',
        dropout_ratio=0.0,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean={{_base_.pixel_mean}},
        std={{_base_.pixel_std}},
        format_shape='NCTHW'))

# 32-frame 64x64 videos resized to 48x48, clips of 8 frames every 2nd frame. No flip: it would turn
# move_left into move_right and clockwise into anticlockwise.
data_root = 'data/demo'
train_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=num_frames, frame_interval=2, num_clips=1),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(48, 48), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')]
test_pipeline = [
    dict(type='DecordInit'),
    dict(type='SampleFrames', clip_len=num_frames, frame_interval=2, num_clips=1, test_mode=True),
    dict(type='DecordDecode'),
    dict(type='Resize', scale=(48, 48), keep_ratio=False),
    dict(type='CenterCrop', crop_size=48),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')]


def video_split(split, pipeline, test_mode):
    return dict(type='VideoDataset', ann_file=f'{data_root}/{split}_list.txt',
                data_prefix=dict(video=data_root), pipeline=pipeline, test_mode=test_mode)


train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=video_split('train', train_pipeline, False))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=video_split('val', test_pipeline, True))
test_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=video_split('test', test_pipeline, True))
val_evaluator = dict(type='AccMetric')
test_evaluator = val_evaluator

max_epochs = 12
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=3e-3, weight_decay=0.01))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True)]
