# Kinetics-400 | views 8x1x1: 8 frames at interval 16, 1 clip, 1 crop | LoKi
# in the temporal, spatial and MLP slots of a frozen CLIP ViT-L/14.
# Recipe: ../loki_k400_8x1x1.py with AIM's ViT-L/14 changes (ICLR 2023, official
# vitclip_large_k400.py): ViT-L/14 weights and a 1024-wide head, drop path 0.2,
# colour jitter in training (mmaction2 0.x's ColorJitter, which is PCA lighting
# noise: ClipLighting), at most 4 views through the backbone at once in testing,
# and the backbone's tunable parameters (slots, temporal embedding, final norm)
# at 0.1x the learning rate, the head at 1x (AIM's paramwise key 'backbone').
# Optimisation: LoKi's optimisation as configs/loki_k400_8x1x1.py (4 videos per GPU, lr 4e-4, cosine to 1e-4).
_base_ = ['../loki_k400_8x1x1.py']
model = dict(
    backbone=dict(arch='clip-l14', pretrained='openai-clip-vit-l14', drop_path_rate=0.2),
    cls_head=dict(in_channels=1024),
    test_cfg=dict(max_testing_views=4))
# after the flip, before FormatShape and PackActionInputs
train_transforms = [*_base_.train_transforms[:-2], dict(type='ClipLighting'), *_base_.train_transforms[-2:]]
train_pipeline = [*_base_.train_pipeline[:2], *train_transforms]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={
    'backbone': dict(lr_mult=0.1),
    'backbone.temporal_embed': dict(lr_mult=0.1, decay_mult=0.0),
    'backbone.norm': dict(lr_mult=0.1, decay_mult=0.0)}))
