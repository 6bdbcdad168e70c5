# Runtime shared by every comnet_mm stage. The CAM stage is a classification
# task, so its scope is mmpretrain's (our modules are registered there too).
default_scope = 'mmpretrain'
custom_imports = dict(imports=['comnet_mm'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
)
# Draws new co-occurrent partners every epoch (CoOccurrentGroupDataset);
# after training, writes and scores the CAMs of `cam_cfg`.
custom_hooks = [dict(type='GroupEpochHook'), dict(type='CAMGenerationHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
