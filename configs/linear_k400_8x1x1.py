# Kinetics-400 | views 8x1x1 | linear probe: the frozen CLIP ViT-B/16 without tuning modules;
# only the I3D head learns, on the per-frame class features averaged over time (the baseline
# row of the LoKi paper's tables). Data, schedule and head as configs/aim_k400_8x1x1.py.
_base_ = ['./aim_k400_8x1x1.py']
model = dict(backbone=dict(slots=dict(_delete_=True), trainable=()))
