# Diving-48 V2 (48 classes) with the Kinetics-400 pipelines and views. AIM's
# Diving-48 runs sample 32 frames; here the clip keeps the 8x1x1 / 16x1x1
# views of the other datasets, so results compare across datasets.
_base_ = ['./kinetics400.py']

data_root = 'data/diving48'
ann_file_train = f'{data_root}/diving48_train_list_videos.txt'
ann_file_val = f'{data_root}/diving48_val_list_videos.txt'
video_root_train = f'{data_root}/rgb'
video_root_val = f'{data_root}/rgb'

train_dataloader = dict(dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=video_root_train)))
val_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=video_root_val)))
test_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=video_root_val)))
