# Demo stage 1: train every weight of the tiny ViT to name the shape and colour
# family of single frames (12 classes, data/demo/frames), so that the video
# stage starts from an image-pretrained backbone, as in the paper.
_base_ = ['../image/_base_/default_runtime.py', './tiny_vit.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(num_frames=1, trainable=('all', )),
    head=dict(
        type='LinearClsHead',
        num_classes=12,
        in_channels=96,
        loss=dict(type='CrossEntropyLoss'),
        topk=(1, )),
    data_preprocessor=dict(
        mean={{_base_.pixel_mean}}, std={{_base_.pixel_std}}, to_rgb=True))

data_root = 'data/demo'
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(_base_.img_size, _base_.img_size)),
    dict(type='PackInputs')]


def frame_loader(split, shuffle):
    return dict(
        batch_size=64,
        num_workers=2,
        persistent_workers=True,
        sampler=dict(type='DefaultSampler', shuffle=shuffle),
        dataset=dict(type='CustomDataset', data_root=data_root, data_prefix=f'frames/{split}',
                     pipeline=pipeline))


train_dataloader = frame_loader('train', True)
val_dataloader = frame_loader('val', False)
test_dataloader = frame_loader('test', False)
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator

max_epochs = 10
# One checkpoint, at the end.
default_hooks = dict(checkpoint=dict(interval=-1, save_last=True, save_best=None))
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True)]
