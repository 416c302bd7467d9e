# A tiny LoKi video recognizer on the synthetic action videos, for fast tool tests:
# 2-block ViT of width 64 on 32x32 crops of 4-frame clips, 2 epochs.
# Data: python -m loki_video.datasets.synthetic_actions --out data/demo (or set data_root).
_base_ = ['../../../configs/_base_/models/loki_vit_b16_clip.py', '../../../configs/_base_/default_runtime.py']

model = dict(
    backbone=dict(arch='tiny', img_size=32, num_frames=4, pretrained=None, drop_path_rate=0.1),
    cls_head=dict(in_channels=64, num_classes=8))

data_root = 'data/demo'
train_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', clip_len=4, frame_interval=2, num_clips=1),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(-1, 36)),
    dict(type='RandomResizedCrop'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')]
test_pipeline = [
    dict(type='VideoInit'),
    dict(type='SampleFrames', clip_len=4, frame_interval=2, num_clips=1, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(-1, 32)),
    dict(type='CenterCrop', crop_size=32),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')]


def loader(split, pipeline, shuffle):
    return dict(
        batch_size=4, num_workers=0, persistent_workers=False,
        sampler=dict(type='ResumableSampler', shuffle=shuffle),  # DefaultSampler that resumes mid-epoch
        dataset=dict(type='RobustVideoDataset', data_root=data_root, ann_file=f'{split}_list.txt',
                     data_prefix=dict(video=''), pipeline=pipeline, test_mode=not shuffle))


train_dataloader = loader('train', train_pipeline, shuffle=True)
val_dataloader = loader('val', test_pipeline, shuffle=False)
test_dataloader = loader('test', test_pipeline, shuffle=False)
val_evaluator = dict(type='ValidAccMetric')
test_evaluator = val_evaluator

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=2, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='FiniteOptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-4, by_epoch=True, begin=1, end=2, convert_to_iter_based=True)]

default_hooks = dict(logger=dict(interval=1), checkpoint=dict(save_best=None))
randomness = dict(seed=0)
