# The paper's optimisation: AdamW at lr 4e-4, cosine decay to 1e-4 over the whole run (per
# iteration), batch 32. The dataset base sets max_epochs; evaluation after every epoch.
optim_wrapper = dict(
    type='FiniteOptimWrapper',
    # fused: one kernel for the update, and a non-finite step is skipped on the device (no host sync)
    optimizer=dict(type='AdamW', lr=4e-4, betas=(0.9, 0.999), weight_decay=0.05, fused=True))
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=1e-4, by_epoch=True, begin=0, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# Used only with --auto-scale-lr: lr scales by (total batch) / 32.
auto_scale_lr = dict(base_batch_size=32)
