# The demo backbone, shared by frame pretraining and video fine-tuning: a tiny
# ViT (width 64, 4 blocks, 4 heads) on 32x32 frames cut into 8x8 patches
# (16 patches + the class token).
img_size = 32
embed_dim = 64
model = dict(
    backbone=dict(
        type='TunableViT',
        arch=dict(patch_size=8, embed_dim=embed_dim, depth=4, num_heads=4),
        img_size=img_size))

# Pixels in [0, 255] are mapped to [-1, 1]; frames and videos are RGB.
pixel_mean = [127.5, 127.5, 127.5]
pixel_std = [127.5, 127.5, 127.5]
