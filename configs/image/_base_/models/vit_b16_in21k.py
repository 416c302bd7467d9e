# ViT-B/16 pretrained on ImageNet-21K (timm vit_base_patch16_224.augreg_in21k) as an image
# classifier: the video backbone with num_frames=1 (no temporal embedding or branch) and a new
# linear head. The method base sets which parts train; the dataset base sets num_classes.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='TunableViT',
        arch='in21k-b16',
        img_size=224,
        num_frames=1,
        trainable=(),
        pretrained='timm-vit-b16-in21k'),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=768,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    # timm's in21k weights expect RGB scaled to [-1, 1].
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        mean=[127.5, 127.5, 127.5],
        std=[127.5, 127.5, 127.5],
        to_rgb=True))
