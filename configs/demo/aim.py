# AIM adapters (64-16-64) in the temporal, spatial and MLP slots of the demo ViT.
_base_ = ['./video_base.py']
adapter = dict(type='Adapter', ratio=0.25)
model = dict(backbone=dict(slots=dict(temporal=adapter, spatial=adapter, mlp=adapter)))
