# DeepLabV3 on the toy set's pseudo masks, mmseg's VOC-aug recipe in
# miniature: the toy backbone (ResNet-18, 16 base channels) as mmseg's ResNet
# with the D8 dilations, initialised from the toy's ImageNet stand-in
# (configs/pretrain/) as the VOC config starts from ImageNet; crop 256 of
# images rescaled to 0.5..2 x a 256 px short side (VOC: 512), 800 iterations
# of 8 images at lr 0.1 (chosen on `train`'s masks: 400 at mmseg's 0.01 fit
# the pseudo masks to 26 mIoU there, 400 at 0.05 to 34, 800 at 0.1 to 37;
# docs/benchmark.md); validated on the toy val masks. BN, not SyncBN: CPU DDP
# (gloo) has no SyncBN. crf_params: the test-time CRF (tools/test.py --crf)
# scaled to ~256 px images.
_base_ = [
    './deeplabv3_r50-d8_voc12aug-pseudo.py',
    '../_base_/datasets/toy_voc_classes.py'
]
irn_work_dir = 'work_dirs/demo/baseline_toy/irn'
pseudo_dir = irn_work_dir + '/pseudo_masks'
pretrain_checkpoint = 'work_dirs/resnet18-narrow_toy-imagenet/epoch_32.pth'
data_root = 'data/toy_voc'
classes = _base_.classes
num_classes = len(classes) + 1  # with background
crop_size = (256, 256)
norm_cfg = dict(type='BN', requires_grad=True)
iters = 800
crf_params = dict(gauss_sxy=1.5, bilat_sxy=25)
randomness = dict(seed=0)

model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        stem_channels=16,
        base_channels=16,
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        contract_dilation=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint=pretrain_checkpoint,
            prefix='backbone.')),
    decode_head=dict(
        in_channels=128,
        channels=64,
        dilations=(1, 6, 12, 18),
        num_classes=num_classes,
        norm_cfg=norm_cfg),
    auxiliary_head=dict(
        in_channels=64,
        channels=32,
        num_classes=num_classes,
        norm_cfg=norm_cfg))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(1024, 256),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='Pad', size=crop_size),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1024, 256), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
metainfo = dict(classes=('background', ) + classes)
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        type='BaseSegDataset',
        ann_file=data_root + '/ImageSets/Segmentation/train_aug.txt',
        data_prefix=dict(
            img_path=data_root + '/JPEGImages', seg_map_path=pseudo_dir),
        img_suffix='.jpg',
        seg_map_suffix='.png',
        metainfo=metainfo,
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2,
    dataset=dict(
        type='BaseSegDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        img_suffix='.jpg',
        seg_map_suffix='.png',
        metainfo=metainfo,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=iters, val_interval=iters)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=iters, max_keep_ckpts=1))
