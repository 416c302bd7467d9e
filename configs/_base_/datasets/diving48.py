# Diving-48 V2 (48 classes) with the pipelines of AIM's Diving-48 config
# (AIM, ICLR 2023, official configs/recognition/vit/vitclip_base_diving48.py)
# at the 8x1x1 views: 8 frames, one from each of 8 equal segments of the video,
# 1 clip (segment_sampling.py). Training: short side 256, random resized crop,
# 224x224, horizontal flip (p 0.5); validation: short side 256, centre crop 224;
# test: short side 224, 3 crops along the long side (1 clip x 3 crops).
# Segment sampling covers the whole dive whatever its length (most Diving-48
# clips are shorter than the 128 frames of Kinetics' 8 x interval 16).
# `pipelines` holds the pipelines of both views settings; the 16x1x1 configs
# pick theirs (configs/aim_diving48_16x1x1.py).
_base_ = ['./segment_sampling.py']

data_root = 'data/diving48'
label_file = None  # tools/data/build_video_list.py --label-names writes the class names
ann_file_train = f'{data_root}/diving48_train_list_videos.txt'
ann_file_val = f'{data_root}/diving48_val_list_videos.txt'
video_root_train = f'{data_root}/rgb'
video_root_val = f'{data_root}/rgb'

train_dataloader = dict(dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=video_root_train)))
val_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=video_root_val)))
test_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=video_root_val)))
