# KAN adapters (KAN 768-11-768, about the parameters of LoKi) in the adapter places; the KANs and
# the head learn.
backbone_tuning = dict(
    slots=dict(
        spatial=dict(type='KANAdapter', hidden=11),
        mlp=dict(type='KANAdapter', hidden=11)),
    mlp_scale=2.0,
    trainable=('slots',))
