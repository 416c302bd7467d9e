# Demo stage 1: train every weight of the tiny ViT to tell, from one frame,
# where the shape is (3x3 grid cell), which way its dark front points (4
# directions) and whether it is small or large: 72 classes of
# data/demo/pose_frames (loki_video.datasets.synthetic_actions, labels='pose').
# The video stage then starts from this image-pretrained backbone, frozen,
# as in the paper.
_base_ = ['../image/_base_/default_runtime.py', './tiny_vit.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(num_frames=1, trainable=('all', )),
    head=dict(
        type='LinearClsHead',
        num_classes=72,
        in_channels=_base_.embed_dim,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, ),
        # PyTorch's default Linear init: mmpretrain's std=0.01 stalls this
        # short from-scratch run for several epochs.
        init_cfg=None),
    data_preprocessor=dict(mean=_base_.pixel_mean, std=_base_.pixel_std, to_rgb=True))

data_root = 'data/demo'
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(_base_.img_size, _base_.img_size)),
    dict(type='PackInputs')]


def frame_loader(split, shuffle):
    return dict(
        batch_size=64,
        # Loading in the training process: on 2 cores a loader worker
        # competes with the model and halves the speed.
        num_workers=0,
        persistent_workers=False,
        sampler=dict(type='ResumableSampler', shuffle=shuffle),  # DefaultSampler that resumes mid-epoch
        dataset=dict(type='CustomDataset', data_root=data_root,
                     data_prefix=f'pose_frames/{split}', pipeline=pipeline))


train_dataloader = frame_loader('train', True)
val_dataloader = frame_loader('val', False)
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator

max_epochs = 10
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(type='FiniteOptimWrapper', optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05, fused=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True)]
# One checkpoint, at the end; the video configs load it as model.backbone.pretrained.
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=-1, save_last=True, save_best=None))
