# FGVC-Aircraft (mmpretrain FGVCAircraft): the official 100 variants, trained on trainval (6,667
# images), tested on test (3,333); the test split also validates.
# Layout: data/fgvc-aircraft-2013b/data/{images/,images_variant_*.txt}.
_base_ = ['./image_loaders.py']
num_classes = 100
max_epochs = 100
data_root = 'data/fgvc-aircraft-2013b'
load = [dict(type='LoadImageFromFile')]
train_dataloader = dict(dataset=dict(
    dataset_type='FGVCAircraft', data_root=data_root, split='trainval',
    pipeline=load + _base_.train_augment))
val_dataloader = dict(dataset=dict(
    dataset_type='FGVCAircraft', data_root=data_root, split='test',
    pipeline=load + _base_.test_resize))
test_dataloader = val_dataloader
