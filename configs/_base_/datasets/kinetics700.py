# Kinetics-700 (700 classes) with the Kinetics-400 pipelines and views.
_base_ = ['./kinetics400.py']

data_root = 'data/kinetics700'
label_file = None  # tools/data/build_video_list.py --label-names writes the class names
ann_file_train = f'{data_root}/kinetics700_train_list_videos.txt'
ann_file_val = f'{data_root}/kinetics700_val_list_videos.txt'
video_root_train = f'{data_root}/videos_train'
video_root_val = f'{data_root}/videos_val'

train_dataloader = dict(dataset=dict(ann_file=ann_file_train, data_prefix=dict(video=video_root_train)))
val_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=video_root_val)))
test_dataloader = dict(dataset=dict(ann_file=ann_file_val, data_prefix=dict(video=video_root_val)))
