# Runtime of the image (mmpretrain) configs: the video runtime (hooks, tunable-only
# checkpoints, logging, environment) with mmpretrain's registries and visualizer.
_base_ = ['../../_base_/default_runtime.py']
default_scope = 'mmpretrain'

default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(max_keep_ckpts=1),
    visualization=dict(type='VisualizationHook', enable=False))

# The video runtime's list without its bad-video report.
custom_hooks = [
    dict(type='ParameterReportHook'),
    dict(type='EpochSeedHook'),
    dict(type='TunableCheckpointHook'),
]

visualizer = dict(type='UniversalVisualizer')
randomness = dict(seed=0, deterministic=False)
