# The demo backbone, shared by frame pretraining and video fine-tuning:
# a tiny ViT for 48x48 frames (6x6 patches of 8x8 pixels, 37 tokens).
model = dict(
    backbone=dict(
        type='TunableViT',
        arch=dict(patch_size=8, embed_dim=96, depth=4, num_heads=4),
        img_size=48))

# Pixels in [0, 255] are mapped to [-1, 1]; frames and videos are RGB.
pixel_mean = [127.5, 127.5, 127.5]
pixel_std = [127.5, 127.5, 127.5]

# Schedule pieces common to every demo run.
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=-1, save_last=True, max_keep_ckpts=1,
                    published_keys=['meta', 'state_dict']))
log_processor = dict(by_epoch=True, window_size=20)
randomness = dict(seed=0, deterministic=False)
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork'), dist_cfg=dict(backend='gloo'))
log_level = 'INFO'
