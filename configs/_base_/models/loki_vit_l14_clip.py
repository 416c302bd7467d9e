# LoKi on CLIP ViT-L/14 with AIM's ViT-L/14 changes (aim_vit_l14_clip.py): a 1024-wide
# head, drop path 0.2, at most 4 views through the backbone at once in testing.
_base_ = ['./loki_vit_b16_clip.py']
model = dict(backbone=dict(arch='clip-l14', pretrained='openai-clip-vit-l14', drop_path_rate=0.2),
             cls_head=dict(in_channels=1024), test_cfg=dict(max_testing_views=4))
