# Demo stages 2-4: the frame-pretrained tiny ViT, frozen, tuned on the
# synthetic action videos (8 classes that need temporal order) with the
# method of the child config (loki.py, aim.py, linear_probe.py).
_base_ = ['../_base_/default_runtime.py', '../_base_/datasets/video_dataloaders.py', './tiny_vit.py']

num_frames = 8
model = dict(
    type='Recognizer3D',
    backbone=dict(
        num_frames=num_frames,
        mlp_scale=0.5,
        trainable=('slots', 'temporal_embed', 'final_norm'),
        # Written by frame_pretrain.py; tools/run_demo.py passes the file it made.
        pretrained='work_dirs/demo/pretrain/epoch_10.pth'),
    cls_head=dict(
        type='Float32I3DHead',
        in_channels=_base_.embed_dim,
        num_classes=8,
        spatial_type='avg',
        dropout_ratio=0.0,
        init_std=0.07,  # about PyTorch's Linear init at width 64; the default 0.01 slows the short schedule
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=_base_.pixel_mean,
        std=_base_.pixel_std,
        format_shape='NCTHW'))

# 32-frame videos; a clip is every 4th frame for 8 frames (29 of the 32
# frames), at a random start in training. No flip: it would turn move_left
# into move_right and clockwise into anticlockwise.
data_root = 'data/demo'
sampling = dict(type='SampleFrames', clip_len=num_frames, frame_interval=4)
resize = dict(type='Resize', scale=(_base_.img_size, _base_.img_size), keep_ratio=False)
train_pipeline = [
    dict(type='VideoInit'),
    dict(sampling, num_clips=1),
    dict(type='VideoDecode'),
    resize,
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')]
test_pipeline = [
    dict(type='VideoInit'),
    dict(sampling, num_clips=1, test_mode=True),
    dict(type='VideoDecode'),
    resize,
    dict(type='CenterCrop', crop_size=_base_.img_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')]


def video_loader(split, pipeline, shuffle):
    return dict(
        batch_size=16,
        # Loading in the training process: on 2 cores a loader worker
        # competes with the model and halves the speed.
        num_workers=0,
        persistent_workers=False,
        sampler=dict(type='ResumableSampler', shuffle=shuffle),  # DefaultSampler that resumes mid-epoch
        dataset=dict(ann_file=f'{data_root}/{split}_list.txt', data_prefix=dict(video=data_root),
                     pipeline=pipeline))


train_dataloader = video_loader('train', train_pipeline, True)
val_dataloader = video_loader('val', test_pipeline, False)
test_dataloader = video_loader('test', test_pipeline, False)

max_epochs = 10
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='FiniteOptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-2, weight_decay=0.01, fused=True),
    # The temporal embedding starts at zero and is what tells frames apart in time.
    paramwise_cfg=dict(custom_keys={'temporal_embed': dict(lr_mult=10.0, decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True)]
default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(interval=-1, save_last=True, save_best=None))
# A fixed seed: reruns of the demo give the same numbers.
randomness = dict(seed=0, deterministic=False)
