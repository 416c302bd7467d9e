# CIFAR-100 (mmpretrain CIFAR100): the official 50,000 train / 10,000 test images, 32x32 RGB
# arrays; the test split also validates. Layout: data/cifar100/cifar-100-python/.
_base_ = ['./image_loaders.py']
num_classes = 100
max_epochs = 30
data_root = 'data/cifar100'
load = [dict(type='ToBGR', channel_order='rgb')]
train_dataloader = dict(dataset=dict(
    dataset_type='CIFAR100', data_root=data_root, split='train', download=False,
    pipeline=load + _base_.train_augment))
val_dataloader = dict(dataset=dict(
    dataset_type='CIFAR100', data_root=data_root, split='test', download=False,
    pipeline=load + _base_.test_resize))
test_dataloader = val_dataloader
