# Runtime of the image (mmpretrain) configs: the video runtime (runner and its hooks, tunable-only
# checkpoints, logging, environment) with mmpretrain's registries and visualizer.
_base_ = ['../../_base_/default_runtime.py']
default_scope = 'mmpretrain'

default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(max_keep_ckpts=1),
    visualization=dict(type='VisualizationHook', enable=False))

custom_hooks = []  # the video runtime's bad-video report has no image counterpart

visualizer = dict(type='UniversalVisualizer')
randomness = dict(seed=0, deterministic=False)
