# AIM's schedule (AIM, ICLR 2023, paper and official configs): AdamW, lr 3e-4
# for a total batch of 64, weight decay 0.05 except on the class token,
# positional and temporal embeddings and the norm layers; 30 epochs: linear
# warm-up from 0.1x over 2.5 epochs, then cosine decay to 0, per iteration.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=30, val_begin=1, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='FiniteOptimWrapper',  # mmengine's OptimWrapper that skips non-finite updates
    # fused: one kernel for the update, and a non-finite window is skipped on the device (no host sync)
    optimizer=dict(type='AdamW', lr=3e-4, betas=(0.9, 0.999), weight_decay=0.05, fused=True),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        custom_keys={
            'cls_token': dict(decay_mult=0.),
            'pos_embed': dict(decay_mult=0.),
            'temporal_embed': dict(decay_mult=0.)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2.5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=0, by_epoch=True, begin=2.5, end=30,
         convert_to_iter_based=True)]
# lr above is for 8 GPUs x 8 videos; enable=True (or --auto-scale-lr) rescales it linearly.
auto_scale_lr = dict(enable=False, base_batch_size=64)
