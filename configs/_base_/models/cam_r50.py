# IRN's CAM network: ResNet-50 at output stride 16, frozen BN everywhere, stem
# to layer2 frozen (IRN detaches stage2), a bias-free 1x1 conv classifier.
num_classes = 20
model = dict(
    type='CAMClassifier',
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        num_classes=num_classes,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True,
    ),
    backbone=dict(
        type='ResNet',
        depth=50,
        strides=(1, 2, 2, 1),  # with the stem's /4: output stride 16
        dilations=(1, 1, 1, 1),
        out_indices=(3, ),
        frozen_stages=2,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50'),
    ),
    neck=None,
    head=dict(
        type='CAMHead',
        num_classes=num_classes,
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', use_sigmoid=True),
    ),
)
