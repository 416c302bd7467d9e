# Kinetics-400 with AIM's ViT-L/14 training colour jitter (official vitclip_large_k400.py:
# mmaction2 0.x's ColorJitter, which is PCA lighting noise: ClipLighting), after the flip,
# before FormatShape and PackActionInputs, in the training pipelines of both views settings.
_base_ = ['./kinetics400.py']
pipelines = {views: dict(steps, train=[*steps['train'][:-2], dict(type='ClipLighting'), *steps['train'][-2:]])
             for views, steps in _base_.pipelines.items()}
train_dataloader = dict(dataset=dict(pipeline=pipelines['8x1x1']['train']))
