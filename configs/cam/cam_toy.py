# Baseline CAM on the embedded toy dataset, sized for a 2-core CPU: a narrow
# ResNet-18 (16 base channels) from random init, 128 px crops, 12 epochs.
_base_ = [
    '../_base_/models/cam_r50.py', '../_base_/datasets/toy_voc_cam.py',
    '../_base_/schedules/cam_5ep.py', '../_base_/default_runtime.py'
]
num_classes = 6
model = dict(
    data_preprocessor=dict(num_classes=num_classes),
    backbone=dict(
        depth=18,
        stem_channels=16,
        base_channels=16,
        frozen_stages=-1,  # random init: train everything, BN included
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    head=dict(num_classes=num_classes, in_channels=128))
optim_wrapper = dict(optimizer=dict(lr=0.05))
train_cfg = dict(max_epochs=12, val_interval=4)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=4, max_keep_ckpts=1))
