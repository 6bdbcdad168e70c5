# VOC 2012 + SBD aug (train_aug, 10,582 images) as co-occurrent pairs for the
# CAM stage; mAP on val. A batch of 8 groups of 2 is 16 images (IRN's 16).
dataset_type = 'VOCTagDataset'
data_root = 'data/VOCdevkit/VOC2012'
crop_size = 512
group_size = 2
# BGR mean: padded pixels become exactly 0 after normalisation (IRN).
pad_val = (103.53, 116.28, 123.675)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    # long side uniformly in 320..640 (IRN's random_resize_long)
    dict(
        type='RandomResize',
        scale=(640, 640),
        ratio_range=(0.5, 1.0),
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    # No hue jitter: mmcv 2.1's adjust_hue overflows under numpy 2 for
    # negative shifts (np.uint8(-3)).
    dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3),
    dict(type='RandomCropPad', crop_size=crop_size, pad_val=pad_val),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(crop_size, crop_size), keep_ratio=True),
    dict(
        type='PackInputs',
        meta_keys=('sample_idx', 'img_path', 'img_id', 'seg_map_path',
                   'ori_shape', 'img_shape', 'scale_factor')),
]

train_dataloader = dict(
    batch_size=8,  # groups per GPU
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='group_collate'),
    dataset=dict(
        type='CoOccurrentGroupDataset',
        group_size=group_size,
        # each item's augmentations drawn from (seed, epoch, anchor): a run
        # resumed mid-epoch ends bitwise where an uninterrupted one does
        seed_per_item=True,
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            ann_file='ImageSets/Segmentation/train_aug.txt',
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
            pipeline=train_pipeline)),
)
val_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
        pipeline=test_pipeline),
)
val_evaluator = dict(type='AveragePrecision')
test_dataloader = val_dataloader
test_evaluator = val_evaluator

# CAMs after training (CAMGenerationHook, tools/make_cams.py): written for
# train_aug (the seeds and pseudo masks need them), scored on the VOC train
# split (1,464 images with official masks) at background 0.15 and over a
# sweep 0.05..0.60; scales 1.0/0.5/1.5/2.0 + flips.
cam_cfg = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClassAug')),
    eval_dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass')),
    scales=(1.0, 0.5, 1.5, 2.0),
    flip=True,
    out_dir='cams',
    metric=dict(type='CAMIoUMetric', num_classes=20, bg_thr=0.15),
    # M* quality and partner precision on 80 co-occurrent pairs of the eval
    # split (cams/matching_diagnostics.py), written with the CAM metrics
    diagnostics=dict(pairs=80, size=crop_size),
)
