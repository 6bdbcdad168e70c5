# IRN's boundary network on VOC 2012 aug, trained on the seeds of a CAM run,
# then the random walk writes pseudo masks for train_aug and scores them on
# train. IRN's recipe: batch 32, 3 epochs, SGD lr 0.1 (poly 0.9, wd 1e-4),
# crop 512, rescale 0.5..1.5, pairs within radius 10, walk beta 10 / 256
# steps / radius 5, background 0.25.
_base_ = ['../_base_/default_runtime.py']
default_scope = 'mmseg'  # a segmentation stage: mmseg's visualizer and hooks
visualizer = dict(
    _delete_=True,
    type='SegLocalVisualizer',
    vis_backends=[dict(type='LocalVisBackend')],
    name='visualizer')
default_hooks = dict(
    visualization=dict(_delete_=True, type='SegVisualizationHook'))

# The CAM stage this stage builds on (configs/cam or configs/comnet).
cam_work_dir = 'work_dirs/cam_r50_voc'
cam_dir = cam_work_dir + '/cams'
seed_dir = cam_work_dir + '/seeds'
data_root = 'data/VOCdevkit/VOC2012'
crop_size = 512
mean = [123.675, 116.28, 103.53]
std = [58.395, 57.12, 57.375]

model = dict(
    type='IRNBoundaryNet',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=mean,
        std=std,
        bgr_to_rgb=True,
        size=(crop_size, crop_size),
        pad_val=0,
        seg_pad_val=255),
    backbone=dict(
        type='ResNet',
        depth=50,
        strides=(1, 2, 2, 1),
        out_indices=(3, ),
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        # IRN's boundary branch sits on a frozen ImageNet ResNet-50, not on
        # the CAM network (net/resnet50_irn.py)
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    in_channels=(64, 256, 512, 1024, 2048),
    radius=10,
)

train_aug = dict(
    type='VOCTagDataset',
    data_root=data_root,
    ann_file='ImageSets/Segmentation/train_aug.txt',
    data_prefix=dict(
        img_path='JPEGImages', seg_map_path='SegmentationClassAug'))
seed_cfg = dict(
    dataset=train_aug,
    cam_dir=cam_dir,
    out_dir=seed_dir,
    fg_thr=0.30,
    bg_thr=0.05)
pseudo_cfg = dict(
    dataset=train_aug,
    eval_dataset=dict(
        type='VOCTagDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass')),
    cam_dir=cam_dir,
    out_dir='pseudo_masks',
    beta=10.0,
    steps=256,
    radius=5,
    bg_thr=0.25)
custom_hooks = [dict(type='SeedGenerationHook'), dict(type='PseudoLabelHook')]

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    # IRN rescales by 0.5..1.5; VOC images are ~500 px on the long side
    dict(
        type='RandomResize',
        scale=(500, 500),
        ratio_range=(0.5, 1.5),
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomCropPad',
        crop_size=crop_size,
        pad_val=(103.53, 116.28, 123.675)),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        # mmseg's VOC dataset: its METAINFO holds the 21 classes
        type='PascalVOCDataset',
        data_root='',  # paths below are complete: seeds live in a work dir
        ann_file=data_root + '/ImageSets/Segmentation/train_aug.txt',
        data_prefix=dict(
            img_path=data_root + '/JPEGImages', seg_map_path=seed_dir),
        img_suffix='.jpg',
        seg_map_suffix='.png',
        pipeline=train_pipeline))
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        by_epoch=True,
        convert_to_iter_based=True)
]
train_cfg = dict(by_epoch=True, max_epochs=3)
val_cfg = val_dataloader = val_evaluator = None
test_cfg = test_dataloader = test_evaluator = None
