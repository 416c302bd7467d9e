# LoKi in the temporal, spatial and MLP slots of the demo ViT (width 64):
# 64-16-[KAN 16-8-16]-16-64. The paper's r1 = r2 = 1/8 would leave a KAN
# one unit wide at this width; the demo uses r1 = 1/4, r2 = 1/2.
_base_ = ['./video_base.py']
loki = dict(type='LoKi', r1=1 / 4, r2=1 / 2)
model = dict(backbone=dict(slots=dict(temporal=loki, spatial=loki, mlp=loki)))
