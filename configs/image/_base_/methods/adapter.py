# AIM adapters (768-192-768): serial with a residual after attention (spatial slot) and parallel
# beside the MLP, scaled by 2 (mlp slot); the adapters and the head learn.
backbone_tuning = dict(
    slots=dict(
        spatial=dict(type='Adapter', ratio=0.25),
        mlp=dict(type='Adapter', ratio=0.25)),
    mlp_scale=2.0,
    trainable=('slots',))
