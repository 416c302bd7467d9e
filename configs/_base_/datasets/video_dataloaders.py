# Loaders and metrics shared by every video dataset. A dataset file inherits
# this one and adds its annotation lists, video folders and pipelines.
# Bad videos are replaced in training and flagged (then left out of the
# accuracy) in validation and testing, see data/README.md.
dataset_type = 'RobustVideoDataset'
train_dataloader = dict(
    batch_size=8,  # per GPU; 8 GPUs give the recipes' total batch of 64
    num_workers='auto',  # the node's cores shared among its GPUs' processes, less one each (docs/data.md)
    persistent_workers=True,
    pin_memory='auto',  # where a GPU trains
    sampler=dict(type='ResumableSampler', shuffle=True),  # DefaultSampler that resumes mid-epoch
    dataset=dict(type=dataset_type))
val_dataloader = dict(train_dataloader, sampler=dict(type='DefaultSampler', shuffle=False),
                      dataset=dict(type=dataset_type, test_mode=True))
test_dataloader = dict(val_dataloader, batch_size=1)
val_evaluator = dict(type='ValidAccMetric')
test_evaluator = val_evaluator
