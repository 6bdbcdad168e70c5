# The IRN stage on the toy dataset, on top of the demo's baseline CAM run
# (make demo), in VOC's geometry (docs/benchmark.md): the toy backbone from
# the ImageNet stand-in (frozen, as IRN's ImageNet ResNet-50), 256 px crops,
# radii scaled to the objects (training pairs within 4, walk within 3: VOC's
# 10 and 5 over objects ~48 stride-4 cells wide, the toy's are ~18), the
# walk's steps and background chosen on `train`, the CRF's pairwise terms
# scaled to ~256 px images (IRN's are for ~500 px).
_base_ = ['./irn_r50_voc.py', '../_base_/datasets/toy_voc_classes.py']
cam_work_dir = 'work_dirs/demo/baseline_toy/cam'
cam_dir = cam_work_dir + '/cams'
seed_dir = cam_work_dir + '/seeds'
pretrain_checkpoint = 'work_dirs/resnet18-narrow_toy-imagenet/epoch_32.pth'
data_root = 'data/toy_voc'
classes = _base_.classes
crop_size = 256
crf_params = dict(gauss_sxy=1.5, bilat_sxy=25)

model = dict(
    data_preprocessor=dict(size=(crop_size, crop_size)),
    backbone=dict(
        depth=18,
        stem_channels=16,
        base_channels=16,
        init_cfg=dict(checkpoint=pretrain_checkpoint, prefix='backbone.')),
    in_channels=(16, 16, 32, 64, 128),
    radius=4)
train_aug = dict(
    type='VOCTagDataset',
    data_root=data_root,
    ann_file='ImageSets/Segmentation/train_aug.txt',
    data_prefix=dict(
        img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
    metainfo=dict(classes=classes))
seed_cfg = dict(
    dataset=train_aug, cam_dir=cam_dir, out_dir=seed_dir, crf=crf_params)
pseudo_cfg = dict(
    dataset=train_aug,
    eval_dataset=dict(
        _delete_=True,
        type='VOCTagDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        metainfo=dict(classes=classes)),
    cam_dir=cam_dir,
    radius=3,
    # chosen on `train` with tools/analysis_tools/irn_diagnostics.py
    # (docs/benchmark.md, "The walk on part-sized CAMs"): 64 steps (reach
    # 3 x sqrt(64) = 24 cells, 1.3 object sides; VOC's 256 steps of radius
    # 5: 1.7) beat 32, 128 and 256; the background is the CAM stage's best
    # threshold on `train` (cams_metrics.json), which was the walk's own
    # best on each of the baseline's 3 seeds and COMNet's seed 0 (0.05 or
    # 0.10: a fixed value fits one run's CAMs and biases the others)
    steps=64,
    bg_thr='cam_best')
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        ann_file=data_root + '/ImageSets/Segmentation/train_aug.txt',
        data_prefix=dict(
            img_path=data_root + '/JPEGImages', seg_map_path=seed_dir),
        type='BaseSegDataset',
        metainfo=dict(classes=('background', ) + classes),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(
                type='RandomResize',
                scale=(256, 256),
                ratio_range=(0.5, 1.5),
                keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
            dict(
                type='RandomCropPad',
                crop_size=crop_size,
                pad_val=(103.53, 116.28, 123.675)),
            dict(type='PackSegInputs'),
        ]))
train_cfg = dict(max_epochs=3)
default_hooks = dict(logger=dict(interval=10))
