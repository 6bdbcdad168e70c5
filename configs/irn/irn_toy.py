# The IRN stage on the toy dataset, on top of the demo's baseline CAM run
# (make demo): the toy backbone, 128 px crops, pairs within radius 5.
_base_ = ['./irn_r50_voc.py']
cam_work_dir = 'work_dirs/demo/baseline_toy/cam'
cam_checkpoint = cam_work_dir + '/epoch_12.pth'
cam_dir = cam_work_dir + '/cams'
seed_dir = cam_work_dir + '/seeds'
data_root = 'data/toy_voc'
toy_classes = ('alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta')
crop_size = 128

model = dict(
    data_preprocessor=dict(size=(crop_size, crop_size)),
    backbone=dict(
        depth=18, stem_channels=16, base_channels=16,
        init_cfg=dict(checkpoint=cam_checkpoint)),
    in_channels=(16, 16, 32, 64, 128),
    radius=5)
train_aug = dict(
    type='VOCTagDataset', data_root=data_root,
    ann_file='ImageSets/Segmentation/train_aug.txt',
    data_prefix=dict(img_path='JPEGImages',
                     seg_map_path='SegmentationClassAug'),
    metainfo=dict(classes=toy_classes))
seed_cfg = dict(dataset=train_aug, cam_dir=cam_dir, out_dir=seed_dir)
pseudo_cfg = dict(
    dataset=train_aug,
    eval_dataset=dict(
        _delete_=True,
        type='VOCTagDataset', data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(img_path='JPEGImages',
                         seg_map_path='SegmentationClass'),
        metainfo=dict(classes=toy_classes)),
    cam_dir=cam_dir)
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        ann_file=data_root + '/ImageSets/Segmentation/train_aug.txt',
        data_prefix=dict(img_path=data_root + '/JPEGImages',
                         seg_map_path=seed_dir),
        metainfo=dict(classes=('background', ) + toy_classes),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='RandomResize', scale=(160, 160),
                 ratio_range=(0.5, 1.5), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
            dict(type='RandomCropPad', crop_size=crop_size,
                 pad_val=(103.53, 116.28, 123.675)),
            dict(type='PackSegInputs'),
        ]))
train_cfg = dict(max_epochs=3)
default_hooks = dict(logger=dict(interval=10))
