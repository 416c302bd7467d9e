# Kinetics-400 with AIM's Kinetics pipelines (AIM, ICLR 2023, official
# configs) at the 8x1x1 views: 8 frames at interval 16 (a 128-frame span),
# 1 clip, 1 crop. Training: random resized crop + flip; validation: short
# side 256, centre crop 224; test: short side 224, centre crop 224 (AIM's
# test also samples 3 clips: tools/test.py --views 3x1, see docs/configs.md).
# `pipelines` holds the pipelines of both views settings; the 16x1x1 configs
# pick theirs (configs/aim_k400_16x1x1.py).
_base_ = ['./video_dataloaders.py']

data_root = 'data/kinetics400'
# Class names (tools/demo.py, model folders), relative to the repository root where the tools run.
label_file = 'loki_video/labels/kinetics400.txt'
ann_file_train = f'{data_root}/kinetics400_train_list_videos.txt'
ann_file_val = f'{data_root}/kinetics400_val_list_videos.txt'
video_root_train = f'{data_root}/videos_train'
video_root_val = f'{data_root}/videos_val'

train_transforms = [
    dict(type='VideoDecode'),
    dict(type='ClipResize', scale=(-1, 256)),
    dict(type='RandomResizedCrop'),
    dict(type='ClipResize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')]
val_transforms = [
    dict(type='VideoDecode'),
    dict(type='ClipResize', scale=(-1, 256)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')]
test_transforms = [
    dict(type='VideoDecode'),
    dict(type='ClipResize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')]

# Frame sampling of each views setting (the same 128-frame span), as (views, sampler) pairs.
samplers = [('8x1x1', dict(type='SampleFrames', clip_len=8, frame_interval=16, num_clips=1)),
            ('16x1x1', dict(type='SampleFrames', clip_len=16, frame_interval=8, num_clips=1))]
transforms = dict(train=train_transforms, val=val_transforms, test=test_transforms)
pipelines = {views: {split: [dict(type='VideoInit'), dict(sampler, test_mode=split != 'train'), *steps]
                     for split, steps in transforms.items()} for views, sampler in samplers}

train_dataloader = dict(dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=video_root_train),
                                     pipeline=pipelines['8x1x1']['train']))
val_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=video_root_val),
                                   pipeline=pipelines['8x1x1']['val']))
test_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=video_root_val),
                                    pipeline=pipelines['8x1x1']['test']))
