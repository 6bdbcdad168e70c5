"""The torch-only train-step benchmark times the VOC configs' network.

``benchmarks/bench_train_step_torch.py`` stands in for
``bench_train_step.py`` on a GPU machine without OpenMMLab; its numbers
mean something only if its network is the one the configs build.
"""
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import comnet_mm  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.fixture(scope='module')
def bench():
    sys.path.insert(0, osp.join(ROOT, 'benchmarks'))
    try:
        import bench_train_step_torch
        yield bench_train_step_torch
    finally:
        sys.path.remove(osp.join(ROOT, 'benchmarks'))


def config_model(config):
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.model.backbone.init_cfg = None
    init_default_scope(cfg.default_scope)
    from mmpretrain.registry import MODELS
    return MODELS.build(cfg.model).train()


@pytest.mark.parametrize('config,necks', [
    ('configs/cam/cam_r50_voc.py', ()),
    ('configs/comnet/comnet_r50_voc.py', ('inter', 'intra')),
])
def test_the_stand_in_is_the_configs_network(bench, config, necks):
    """Same tensors in the same order with the same trainable flags, and
    with the config model's weights copied in, the same backbone output
    (output stride 16) and the same logits."""
    ours = bench.CAMNet(necks).train()
    theirs = config_model(config)
    if necks:  # the same inter-matching solve as the config's
        assert ours.necks[0].solver == theirs.neck[0].solver == 'batched'
    # norm_eval: after train() every backbone BN is in eval mode in both
    bns = [[
        m.training for m in net.modules()
        if isinstance(m, torch.nn.BatchNorm2d)
    ] for net in (ours.backbone, theirs.backbone)]
    assert bns[0] == bns[1] and not any(bns[0])
    mine = list(ours.backbone.state_dict().values())
    ref = list(theirs.backbone.state_dict().values())
    assert [t.shape for t in mine] == [t.shape for t in ref]
    assert sorted(
        (tuple(p.shape), p.requires_grad)
        for p in ours.parameters()) == sorted(
            (tuple(p.shape), p.requires_grad) for p in theirs.parameters())
    with torch.no_grad():
        for a, b in zip(mine, ref):
            a.copy_(b)
        ours.head.weight.copy_(theirs.head.classifier.weight)
        if necks:
            ours.necks[1].load_state_dict(theirs.neck[1].state_dict())
    ours.eval()
    theirs.eval()
    if necks:  # at eval inter-matching is the identity (no partner)
        ours.necks[0].match_at_inference = False
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        feat = ours.backbone(x)
        assert feat.shape == (2, 2048, 4, 4)
        torch.testing.assert_close(feat, theirs.backbone(x)[-1])
        torch.testing.assert_close(
            ours(x), theirs.head(theirs.extract_feat(x)))
