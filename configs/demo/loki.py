# LoKi in the temporal, spatial and MLP slots of the demo ViT (width 96).
# The paper's r1 = r2 = 1/8 would give a 12-wide encoder and a 2-wide KAN at
# this width; the demo uses r1 = 1/4, r2 = 1/4 (96-24-[KAN 24-6-24]-24-96).
_base_ = ['./video_base.py']
loki = dict(type='LoKi', r1=1 / 4, r2=1 / 4)
model = dict(backbone=dict(slots=dict(temporal=loki, spatial=loki, mlp=loki)))
