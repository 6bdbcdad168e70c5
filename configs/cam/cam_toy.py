# Baseline CAM on the embedded toy dataset, the VOC recipe in miniature: a
# narrow ResNet-18 (16 base channels) initialised from the toy's ImageNet
# stand-in (configs/pretrain/), output stride 8 so that a 256 px crop gives
# VOC's 32 x 32 points, stem to layer2 and every BN frozen as in
# configs/cam/cam_r50_voc.py, 8 epochs (240 iterations of 8 pairs).
_base_ = [
    '../_base_/models/cam_r50.py', '../_base_/datasets/toy_voc_cam.py',
    '../_base_/schedules/cam_5ep.py', '../_base_/default_runtime.py'
]
num_classes = len(_base_.classes)
# the pretraining run's checkpoint (tools/run_pipeline.py links its own)
pretrain_checkpoint = 'work_dirs/resnet18-narrow_toy-imagenet/epoch_32.pth'
model = dict(
    data_preprocessor=dict(num_classes=num_classes),
    backbone=dict(
        depth=18,
        stem_channels=16,
        base_channels=16,
        strides=(1, 2, 1, 1),  # with the stem's /4: output stride 8
        dilations=(1, 1, 2, 4),
        init_cfg=dict(
            type='Pretrained',
            checkpoint=pretrain_checkpoint,
            prefix='backbone.')),
    head=dict(num_classes=num_classes, in_channels=128))
train_cfg = dict(max_epochs=8, val_interval=4)
default_hooks = dict(
    logger=dict(interval=10), checkpoint=dict(interval=4, max_keep_ckpts=1))
