# Diving-48 V2 (48 classes) with the pipelines of AIM's Diving-48 config
# (AIM, ICLR 2023, official configs/recognition/vit/vitclip_base_diving48.py)
# at the 8x1x1 views: 8 frames, one from each of 8 equal segments of the video
# (UniformSample, mmaction2 1.x's name for AIM's SampleFrames(frame_uniform=
# True)), 1 clip. Training: short side 256, random resized crop, 224x224,
# horizontal flip (p 0.5); validation: short side 256, centre crop 224; test:
# short side 224, 3 crops along the long side (1 clip x 3 crops).
# Segment sampling covers the whole dive whatever its length (most Diving-48
# clips are shorter than the 128 frames of Kinetics' 8 x interval 16).
# The sampling step sits in front of `*_transforms` so that other views
# (e.g. 16x1x1) swap only that step, see configs/aim_diving48_16x1x1.py.
_base_ = ['./kinetics400.py']

data_root = 'data/diving48'
ann_file_train = f'{data_root}/diving48_train_list_videos.txt'
ann_file_val = f'{data_root}/diving48_val_list_videos.txt'
video_root_train = f'{data_root}/rgb'
video_root_val = f'{data_root}/rgb'

test_transforms = [
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='ThreeCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')]

train_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=8, num_clips=1),
    *_base_.train_transforms]
val_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=8, num_clips=1, test_mode=True),
    *_base_.val_transforms]
test_pipeline = [
    dict(type='VideoInit'),
    dict(type='UniformSample', clip_len=8, num_clips=1, test_mode=True),
    *test_transforms]

train_dataloader = dict(dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=video_root_train),
                                     pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=video_root_val),
                                   pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=video_root_val),
                                    pipeline=test_pipeline))
