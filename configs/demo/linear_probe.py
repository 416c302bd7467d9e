# Linear probe: the frozen demo ViT without tuning modules; only the head
# learns, on the per-frame class features averaged over time.
_base_ = ['./video_base.py']
model = dict(backbone=dict(trainable=()))
