# OpenAI CLIP ViT-B/16 image tower as an image classifier: the video backbone with num_frames=1
# (no temporal embedding or branch) and a new linear head. The method base sets which parts
# train; the dataset base sets num_classes.
_base_ = ['./vit_b16_in21k.py']
model = dict(
    backbone=dict(arch='clip-b16', pretrained='openai-clip-vit-b16'),
    # CLIP's RGB mean and std.
    data_preprocessor=dict(
        mean=[122.769, 116.74, 104.04],
        std=[68.493, 66.63, 70.321]))
