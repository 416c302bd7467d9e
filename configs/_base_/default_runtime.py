# Runtime of the video (mmaction2) configs: registries, hooks, logging, environment.
default_scope = 'mmaction'
custom_imports = dict(
    imports=['loki_video.models', 'loki_video.datasets', 'loki_video.evaluation', 'loki_video.engine'],
    allow_failed_imports=False)

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Atomic saves (never a half-written file), and a mid-epoch checkpoint every 30 minutes as well
    # (iter_<N>.pth, only the newest kept): loki_video.engine.hooks.SafeCheckpointHook.
    checkpoint=dict(type='SafeCheckpointHook', interval=1, save_best='auto', max_keep_ckpts=3, interval_minutes=30),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'),
    # What every run needs (loki_video.engine.hooks): the parameter report, seeding by position in
    # the run, tunable-only checkpoints bound to the frozen weights' SHA-256, and a stop at the first
    # non-finite loss (action='skip' counts and skips instead; optim_wrapper FiniteOptimWrapper).
    parameter_report=dict(type='ParameterReportHook'),
    epoch_seed=dict(type='EpochSeedHook'),
    tunable_checkpoint=dict(type='TunableCheckpointHook'),
    non_finite=dict(type='NonFiniteLossHook', action='stop', max_consecutive=5))

runner_type = 'LokiVideoRunner'  # mmengine's Runner with a short log (loki_video.engine.runner)
custom_hooks = [dict(type='BadSampleReportHook')]  # unreadable videos skipped (train) or excluded (val/test)

# Checkpoints of parameter-efficient runs hold the tunable parameters and buffers only;
# 'full' (tools/train.py --full-checkpoint) stores every weight.
checkpoint_cfg = dict(mode='tunable', reinit=(), allow_pretrained_mismatch=False)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))  # CPU-only machines switch to gloo (loki_video.engine.launcher)

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
