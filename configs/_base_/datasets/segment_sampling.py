# Kinetics' transforms with AIM's segment sampling and 3-crop testing, shared by
# AIM's Diving-48 and Something-Something v2 recipes (diving48.py, ssv2.py):
# 8 (16) frames, one from each of 8 (16) equal segments of the video
# (UniformSample, mmaction2 1.x's name for AIM's SampleFrames(frame_uniform=True)),
# 1 clip; test: short side 224, 3 crops along the long side (1 clip x 3 crops).
_base_ = ['./kinetics400.py']

samplers = [('8x1x1', dict(type='UniformSample', clip_len=8, num_clips=1)),
            ('16x1x1', dict(type='UniformSample', clip_len=16, num_clips=1))]
# Kinetics' test transforms with 3 crops in place of the centre crop.
test_transforms = [*_base_.test_transforms[:2], dict(type='ThreeCrop', crop_size=224), *_base_.test_transforms[3:]]

transforms = dict(_base_.transforms, test=test_transforms)
pipelines = {views: {split: [dict(type='VideoInit'), dict(sampler, test_mode=split != 'train'), *steps]
                     for split, steps in transforms.items()} for views, sampler in samplers}
train_dataloader = dict(dataset=dict(pipeline=pipelines['8x1x1']['train']))
val_dataloader = dict(dataset=dict(pipeline=pipelines['8x1x1']['val']))
test_dataloader = dict(dataset=dict(pipeline=pipelines['8x1x1']['test']))
