"""Our necks inside configs that are not ours, loaded only by
custom_imports."""
import math
import re
import sys
import textwrap

from conftest import run_tool

TRAIN = textwrap.dedent('''
    import sys
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(sys.argv[1])
    cfg.work_dir = sys.argv[2]
    Runner.from_cfg(cfg).train()
''')

COMMON = textwrap.dedent('''
    custom_imports = dict(imports=['comnet_mm'], allow_failed_imports=False)
    train_cfg = dict(type='IterBasedTrainLoop', max_iters=4)
    optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
    default_hooks = dict(logger=dict(type='LoggerHook', interval=1))
    log_processor = dict(by_epoch=False)
    randomness = dict(seed=0)
''')

MMPRETRAIN = textwrap.dedent('''
    default_scope = 'mmpretrain'
    model = dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=18, base_channels=16,
                      stem_channels=16, strides=(1, 2, 2, 1),
                      out_indices=(3, )),
        neck=dict(type='IntraMatching', in_channels=128, k=8),
        head=dict(type='CSRAClsHead', num_classes=6, in_channels=128,
                  num_heads=1, lam=0.1),
        data_preprocessor=dict(num_classes=6, mean=[128, 128, 128],
                               std=[64, 64, 64], to_rgb=True))
    train_dataloader = dict(
        batch_size=4, num_workers=0,
        sampler=dict(type='InfiniteSampler', shuffle=True),
        dataset=dict(
            type='VOCTagDataset', data_root='{root}',
            metainfo=dict(classes=('a', 'b', 'c', 'd', 'e', 'f')),
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='Resize', scale=(96, 96), keep_ratio=False),
                      dict(type='PackInputs')]))
''')

MMSEG = textwrap.dedent('''
    default_scope = 'mmseg'
    model = dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor',
                               mean=[128, 128, 128], std=[64, 64, 64],
                               bgr_to_rgb=True, size=(96, 96), pad_val=0,
                               seg_pad_val=255),
        backbone=dict(type='ResNetV1c', depth=18, base_channels=16,
                      stem_channels=16, strides=(1, 2, 2, 1),
                      dilations=(1, 1, 1, 2)),
        neck=dict(type='IntraMatching', in_channels=128, k=8),
        decode_head=dict(type='FCNHead', in_channels=128, in_index=3,
                         channels=32, num_convs=1, concat_input=False,
                         num_classes=7,
                         loss_decode=dict(type='CrossEntropyLoss')),
        train_cfg=dict(), test_cfg=dict(mode='whole'))
    train_dataloader = dict(
        batch_size=4, num_workers=0,
        sampler=dict(type='InfiniteSampler', shuffle=True),
        dataset=dict(
            type='BaseSegDataset', data_root='{root}', img_suffix='.jpg',
            seg_map_suffix='.png',
            ann_file='ImageSets/Segmentation/train.txt',
            data_prefix=dict(img_path='JPEGImages',
                             seg_map_path='SegmentationClass'),
            metainfo=dict(
                classes=('background', 'a', 'b', 'c', 'd', 'e', 'f'),
                palette=[[i, i, i] for i in range(7)]),
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='LoadAnnotations'),
                      dict(type='Resize', scale=(96, 96), keep_ratio=False),
                      dict(type='PackSegInputs')]))
''')


def _train(tmp_path, body, root):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(COMMON + body.format(root=root))
    script = tmp_path / 'train.py'
    script.write_text(TRAIN)
    out = run_tool(
        [sys.executable,
         str(script),
         str(cfg),
         str(tmp_path / 'work')])
    log = out.stdout + out.stderr
    losses = [
        float(v)
        for v in re.findall(r'Iter\(train\).*? loss: ([0-9.na]+)', log)
    ]
    assert len(losses) == 4 and all(math.isfinite(v) for v in losses), log
    return log


def test_intra_matching_in_mmpretrain_image_classifier(tmp_path, toy_root):
    _train(tmp_path, MMPRETRAIN, toy_root)


def test_intra_matching_in_mmseg_encoder_decoder(tmp_path, toy_root):
    log = _train(tmp_path, MMSEG, toy_root)
    assert 'decode.loss_ce' in log
