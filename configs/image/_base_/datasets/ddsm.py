# DDSM mammography as an mmpretrain CustomDataset: data/ddsm/{train,val,test}/<class>/<image>,
# written by tools/data/image_folder_to_custom.py from any class-per-folder image tree (every split
# holds every class folder, so the sorted folder names give the same labels in each split).
# num_classes=2 (benign, malignant); set model.head.num_classes to the number of class folders.
_base_ = ['./image_loaders.py']
num_classes = 2
max_epochs = 100
data_root = 'data/ddsm'
load = [dict(type='LoadImageFromFile')]
train_dataloader = dict(dataset=dict(
    dataset_type='CustomDataset', data_root=data_root, data_prefix='train',
    pipeline=load + _base_.train_augment))
val_dataloader = dict(dataset=dict(
    dataset_type='CustomDataset', data_root=data_root, data_prefix='val',
    pipeline=load + _base_.test_resize))
test_dataloader = dict(dataset=dict(
    dataset_type='CustomDataset', data_root=data_root, data_prefix='test',
    pipeline=load + _base_.test_resize))
