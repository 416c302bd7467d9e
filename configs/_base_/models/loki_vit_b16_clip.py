# LoKi (CVPR 2025): the AIM model with LoKi (768-96-[KAN 96-12-96]-96-768) in every slot.
_base_ = ['./aim_vit_b16_clip.py']
model = dict(
    backbone=dict(
        slots=dict(
            _delete_=True,
            temporal=dict(type='LoKi', r1=1 / 8, r2=1 / 8),
            spatial=dict(type='LoKi', r1=1 / 8, r2=1 / 8),
            mlp=dict(type='LoKi', r1=1 / 8, r2=1 / 8))))
