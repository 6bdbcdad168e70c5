import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from comnet_mm.models import CAMClassifier, CAMHead
from comnet_mm.structures import normalize_cams


def sample(labels):
    return DataSample().set_gt_label(labels)


def test_loss_hand_computed():
    head = CAMHead(num_classes=2, in_channels=1)
    head.classifier.weight.data[:] = torch.tensor([[0.0],
                                                   [1.0]]).view(2, 1, 1, 1)
    # feature map of constant ln 3: logits (0, ln 3)
    feats = (torch.full((1, 1, 2, 2), math.log(3.0)), )
    loss = head.loss(feats, [sample([0])])['loss']
    # class 0 positive: -log(sigmoid(0)) = ln 2; class 1 negative:
    # -log(1 - sigmoid(ln 3)) = -log(1/4) = ln 4; mean = 1.5 ln 2
    assert loss.item() == pytest.approx(1.5 * math.log(2), rel=1e-6)


def test_loss_is_multilabel_soft_margin():
    torch.manual_seed(0)
    head = CAMHead(num_classes=5, in_channels=8)
    feats = (torch.randn(4, 8, 3, 3), )
    samples = [sample([0]), sample([1, 4]), sample([2, 3]), sample([0, 1, 2])]
    target = torch.zeros(4, 5)
    for t, s in zip(target, samples):
        t[s.gt_label] = 1
    expect = F.multilabel_soft_margin_loss(head(feats), target)
    assert head.loss(feats, samples)['loss'].item() == pytest.approx(
        expect.item(), rel=1e-6)


def test_logits_are_pooled_class_maps():
    torch.manual_seed(0)
    head = CAMHead(num_classes=3, in_channels=6)
    feats = (torch.randn(2, 6, 5, 7), )
    maps = head.class_maps(feats)
    assert maps.shape == (2, 3, 5, 7)
    assert torch.allclose(head(feats), maps.mean((2, 3)), atol=1e-6)


def test_predict_cams():
    torch.manual_seed(0)
    head = CAMHead(num_classes=4, in_channels=6)
    feats = (torch.randn(2, 6, 5, 5), )
    out = head.predict(feats, [sample([1, 3]), sample([2])])
    maps = head.class_maps(feats)
    assert out[0].cam_labels.tolist() == [1, 3]
    assert out[0].cams.shape == (2, 5, 5) and out[1].cams.shape == (1, 5, 5)
    expect = F.relu(maps[0, [1, 3]])
    expect = expect / (expect.flatten(1).max(1).values[:, None, None] + 1e-5)
    assert torch.allclose(out[0].cams, expect)
    assert (out[1].cams >= 0).all() and out[1].cams.max() <= 1
    assert out[0].pred_score.shape == (4, )
    # without gt, the predicted classes are kept
    out = head.predict(feats)
    assert torch.equal(out[0].cam_labels, out[0].pred_label)


def test_normalize_cams_hand_case():
    cams = torch.tensor([[[-1.0, 2.0], [4.0, 0.0]]])
    out = normalize_cams(cams, eps=0.0)
    assert out.tolist() == [[[0.0, 0.5], [1.0, 0.0]]]


TOY_MODEL = dict(
    type='CAMClassifier',
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        num_classes=3,
        mean=[0, 0, 0],
        std=[1, 1, 1]),
    backbone=dict(
        type='ResNet',
        depth=18,
        stem_channels=8,
        base_channels=8,
        strides=(1, 2, 2, 1),
        out_indices=(3, ),
        frozen_stages=2,
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True),
    head=dict(type='CAMHead', num_classes=3, in_channels=64))


class RecordingNeck(nn.Module):
    needs_data_samples = True

    def __init__(self):
        super().__init__()
        self.seen = None

    def forward(self, feats, data_samples):
        self.seen = data_samples
        return tuple(f * 2 for f in feats)


def test_classifier_output_stride_and_frozen_stages():
    init_default_scope('mmpretrain')
    from mmpretrain.registry import MODELS
    model = MODELS.build(TOY_MODEL)
    model.train()
    feats = model.extract_feat(torch.randn(2, 3, 64, 64))
    assert feats[-1].shape == (2, 64, 4, 4)  # output stride 16
    for name, p in model.backbone.named_parameters():
        frozen = name.startswith(('conv1', 'bn1', 'layer1', 'layer2')) or \
            '.bn' in name or 'downsample.1' in name
        assert p.requires_grad != frozen, name
    bns = [
        m for m in model.backbone.modules() if isinstance(m, nn.BatchNorm2d)
    ]
    assert all(not m.training for m in bns)  # frozen BN statistics
    optim = build_optim_wrapper(
        model,
        dict(
            optimizer=dict(type='SGD', lr=0.1, momentum=0.5),
            paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.0)})))
    lrs = {
        g['lr']
        for g in optim.optimizer.param_groups
        if any(p is model.head.classifier.weight for p in g['params'])
    }
    assert lrs == {1.0}
    assert optim.optimizer.param_groups[0]['momentum'] == 0.5


def test_necks_in_order_and_data_samples_reach_them():
    init_default_scope('mmpretrain')
    neck = RecordingNeck()
    model = CAMClassifier(
        backbone=TOY_MODEL['backbone'],
        neck=[neck, dict(type='GlobalAveragePooling')],
        head=dict(
            type='MultiLabelLinearClsHead', num_classes=3, in_channels=64),
        data_preprocessor=TOY_MODEL['data_preprocessor'])
    samples = [sample([0]), sample([2])]
    losses = model(torch.randn(2, 3, 32, 32), samples, mode='loss')
    assert neck.seen is samples and torch.isfinite(losses['loss'])
    base = model.extract_feat(torch.ones(1, 3, 32, 32), stage='backbone')
    assert len(base) == 1 and base[0].dim() == 4
