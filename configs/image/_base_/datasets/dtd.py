# Describable Textures (mmpretrain DTD): the official split 1 (imdb/imdb.mat), trained on train+val
# (3,760 images), tested on test (1,880); the test split also validates. Layout: data/dtd/{images,imdb}/.
_base_ = ['./image_loaders.py']
num_classes = 47
max_epochs = 100
data_root = 'data/dtd'
load = [dict(type='LoadImageFromFile')]
train_dataloader = dict(dataset=dict(
    dataset_type='DTD', data_root=data_root, split='trainval',
    pipeline=load + _base_.train_augment))
val_dataloader = dict(dataset=dict(
    dataset_type='DTD', data_root=data_root, split='test',
    pipeline=load + _base_.test_resize))
test_dataloader = val_dataloader
