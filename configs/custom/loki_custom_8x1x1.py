# Your own videos on a CPU: LoKi on the frame-pretrained tiny ViT of the demo
# (docs/custom_dataset.md walks through every command).
#
#   data/custom/videos/train/<class>/<video>   your videos, one folder per class
#   data/custom/videos/val/<class>/<video>
#   data/custom/train_list.txt, val_list.txt   tools/data/build_video_list.py folder
#   data/custom/classes.txt                    its --label-names (class i on line i)
#
# Set num_classes to the number of lines of classes.txt (tools/train.py
# refuses a list whose labels do not fit). The backbone is the tiny ViT that
# `make demo-pretrain` (or `make demo`) trains on single frames: weights that
# carry information, so a few minutes on a CPU give a model that learns.
# A backbone with random frozen weights (pretrained=None) only tests the
# plumbing: its features carry nothing, and accuracy stays at chance.
# For real work on a GPU, start from configs/loki_k400_8x1x1.py with CLIP
# ViT-B/16 weights and the same data settings.
_base_ = ['../demo/loki.py']

num_classes = 3
data_root = 'data/custom'
label_file = f'{data_root}/classes.txt'

model = dict(cls_head=dict(num_classes=num_classes))

# Clips of 8 frames, every 2nd frame (a 16-frame span: half a second at 30
# fps); frames scaled to a short side of 32 pixels, the tiny ViT's input.
# Flip is left out: it would swap left and right motions.
sampling = dict(type='SampleFrames', clip_len=_base_.num_frames, frame_interval=2)
train_pipeline = [
    dict(type='VideoInit'),
    dict(sampling, num_clips=1),
    dict(type='VideoDecode'),
    dict(type='ClipResize', scale=(-1, _base_.img_size)),
    dict(type='RandomCrop', size=_base_.img_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')]
test_pipeline = [
    dict(type='VideoInit'),
    dict(sampling, num_clips=1, test_mode=True),
    dict(type='VideoDecode'),
    dict(type='ClipResize', scale=(-1, _base_.img_size)),
    dict(type='CenterCrop', crop_size=_base_.img_size),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')]


# The demo's loaders (loading in the training process) with your lists and folders.
train_dataloader = dict(batch_size=8, dataset=dict(
    ann_file=f'{data_root}/train_list.txt', data_prefix=dict(video=f'{data_root}/videos/train'),
    pipeline=train_pipeline))
val_dataloader = dict(batch_size=8, dataset=dict(
    ann_file=f'{data_root}/val_list.txt', data_prefix=dict(video=f'{data_root}/videos/val'),
    pipeline=test_pipeline))
test_dataloader = val_dataloader

max_epochs = 10
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True)]
# Keep the checkpoint with the best validation top-1 beside the last one.
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(save_best='acc/top1', rule='greater'))
