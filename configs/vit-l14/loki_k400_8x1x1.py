# Kinetics-400 | views 8x1x1: 8 frames at interval 16, 1 clip, 1 crop | LoKi
# in the temporal, spatial and MLP slots of a frozen CLIP ViT-L/14.
# Recipe: ../loki_k400_8x1x1.py with AIM's ViT-L/14 changes (ICLR 2023, official
# vitclip_large_k400.py): ViT-L/14 weights and a 1024-wide head, drop path 0.2,
# colour jitter in training (mmaction2 0.x's ColorJitter, which is PCA lighting
# noise: ClipLighting), at most 4 views through the backbone at once in testing,
# and the backbone's tunable parameters (slots, temporal embedding, final norm)
# at 0.1x the learning rate, the head at 1x (AIM's paramwise key 'backbone').
# Optimisation: LoKi's as configs/loki_k400_8x1x1.py (4 videos per GPU, lr 4e-4, cosine to 1e-4).
_base_ = [
    '../_base_/models/loki_vit_l14_clip.py', '../_base_/datasets/kinetics400_clip_lighting.py',
    '../_base_/schedules/loki_adamw_30e_vit_l14.py', '../_base_/default_runtime.py']
model = dict(cls_head=dict(num_classes=400))
train_dataloader = dict(batch_size=4)
