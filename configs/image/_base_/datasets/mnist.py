# MNIST (mmpretrain MNIST): the official 60,000 train / 10,000 test digits, 28x28 grayscale arrays
# made 3-channel; the test split also validates. mmpretrain's MNIST picks the test files from
# test_mode, not split, hence test_mode=True. Layout: data/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.
_base_ = ['./image_loaders.py']
num_classes = 10
max_epochs = 30
data_root = 'data/mnist'
load = [dict(type='ToBGR')]
train_dataloader = dict(dataset=dict(
    dataset_type='MNIST', data_root=data_root, split='train', download=False,
    pipeline=load + _base_.train_augment))
val_dataloader = dict(dataset=dict(
    dataset_type='MNIST', data_root=data_root, split='test', test_mode=True, download=False,
    pipeline=load + _base_.test_resize))
test_dataloader = val_dataloader
