# The demo backbone, shared by frame pretraining and video fine-tuning:
# a tiny ViT (width 96, 4 blocks, 4 heads) on 48x48 frames cut into 8x8
# patches (36 patches + the class token).
model = dict(
    backbone=dict(
        type='TunableViT',
        arch=dict(patch_size=8, embed_dim=96, depth=4, num_heads=4),
        img_size=48))
img_size = 48

# Pixels in [0, 255] are mapped to [-1, 1]; frames and videos are RGB.
pixel_mean = [127.5, 127.5, 127.5]
pixel_std = [127.5, 127.5, 127.5]
