# Food-101 (mmpretrain Food101): the official 75,750 train / 25,250 test images (meta/train.txt,
# meta/test.txt); the test split also validates. Layout: data/food-101/{images,meta}/.
_base_ = ['./image_loaders.py']
num_classes = 101
max_epochs = 30
data_root = 'data/food-101'
load = [dict(type='LoadImageFromFile')]
train_dataloader = dict(dataset=dict(
    dataset_type='Food101', data_root=data_root, split='train',
    pipeline=load + _base_.train_augment))
val_dataloader = dict(dataset=dict(
    dataset_type='Food101', data_root=data_root, split='test',
    pipeline=load + _base_.test_resize))
test_dataloader = val_dataloader
