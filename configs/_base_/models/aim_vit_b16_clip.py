# AIM (ICLR 2023): CLIP ViT-B/16 with AIM adapters (768-192-768) in the temporal,
# spatial and MLP slots, 8 frames, Kinetics-400 head.
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='TunableViT',
        arch='clip-b16',
        img_size=224,
        num_frames=8,
        slots=dict(
            temporal=dict(type='Adapter', ratio=0.25),
            spatial=dict(type='Adapter', ratio=0.25),
            mlp=dict(type='Adapter', ratio=0.25)),
        mlp_scale=0.5,
        drop_path_rate=0.2,
        trainable=('slots', 'temporal_embed', 'final_norm'),
        pretrained='openai-clip-vit-b16'),
    cls_head=dict(
        type='Float32I3DHead',
        in_channels=768,
        num_classes=400,
        spatial_type='avg',
        dropout_ratio=0.5,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[122.769, 116.74, 104.04],
        std=[68.493, 66.63, 70.321],
        format_shape='NCTHW'))
