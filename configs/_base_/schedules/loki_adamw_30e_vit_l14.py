# loki_adamw_30e.py with AIM's ViT-L/14 change (official vitclip_large_k400.py): the backbone's
# tunable parameters (slots, temporal embedding, final norm) at 0.1x the learning rate,
# the head at 1x (AIM's paramwise key 'backbone').
_base_ = ['./loki_adamw_30e.py']
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={
    'backbone': dict(lr_mult=0.1),
    'backbone.temporal_embed': dict(lr_mult=0.1, decay_mult=0.0),
    'backbone.norm': dict(lr_mult=0.1, decay_mult=0.0)}))
