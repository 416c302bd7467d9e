# Loaders, augmentation and metric shared by every image dataset (the paper's recipe: batch 32,
# random crop and horizontal flip for training; images resized to 224 for testing).
# A dataset file sets dataset_type, data_root, splits, num_classes and max_epochs, and puts its
# loading step in front of train_augment / test_resize.
train_augment = [
    dict(type='ResizeEdge', scale=224, edge='short'),
    dict(type='RandomCrop', crop_size=224, padding=28),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_resize = [
    dict(type='ResizeEdge', scale=224, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='ResumableSampler', shuffle=True),  # DefaultSampler that resumes mid-epoch
    dataset=dict(type='CheckedDataset'))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='CheckedDataset'))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1,))
test_evaluator = val_evaluator
