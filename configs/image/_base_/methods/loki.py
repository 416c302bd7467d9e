# LoKi (768-96-[KAN 96-12-96]-96-768) in the adapter places; the LoKi modules and the head learn.
backbone_tuning = dict(
    slots=dict(
        spatial=dict(type='LoKi', r1=1 / 8, r2=1 / 8),
        mlp=dict(type='LoKi', r1=1 / 8, r2=1 / 8)),
    mlp_scale=2.0,
    trainable=('slots',))
