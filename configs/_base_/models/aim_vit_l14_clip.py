# AIM's ViT-L/14 model (ICLR 2023, official vitclip_large_k400.py): aim_vit_b16_clip.py
# on CLIP ViT-L/14 weights with a 1024-wide head, drop path 0.2, and at most 4 views
# through the backbone at once in testing.
_base_ = ['./aim_vit_b16_clip.py']
model = dict(backbone=dict(arch='clip-l14', pretrained='openai-clip-vit-l14', drop_path_rate=0.2),
             cls_head=dict(in_channels=1024), test_cfg=dict(max_testing_views=4))
