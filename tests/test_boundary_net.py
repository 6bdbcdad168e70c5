import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from comnet_mm.models import affinity_labels, boundary_loss
from comnet_mm.structures import search_paths
from conftest import tiny_boundary_net

OFFSETS = [d for d, _ in search_paths(3)]


def test_affinity_labels_hand_case():
    seeds = torch.tensor([[[0, 0, 2, 2], [0, 255, 2, 2], [1, 1, 1, 1]]])
    bg, fg, neg = affinity_labels(seeds, radius=3)
    right = OFFSETS.index((0, 1))
    down = OFFSETS.index((1, 0))
    # (0,0)-(0,1): both background -> bg-positive
    assert bg[0, right, 0, 0] == 1 and fg[0, right, 0, 0] == 0
    # (0,1)-(0,2): 0 vs 2 -> negative
    assert neg[0, right, 0, 1] == 1
    # (0,2)-(0,3): both class 2 -> fg-positive
    assert fg[0, right, 0, 2] == 1
    # anything touching 255 is ignored, and so are pairs leaving the image
    assert bg[0, :, 1, 1].sum() == fg[0, :, 1, 1].sum() == neg[0, :, 1,
                                                               1].sum() == 0
    assert bg[0, down, 0, 1] + fg[0, down, 0, 1] + neg[0, down, 0, 1] == 0
    # bottom row: only the rightward offsets (0, 1) and (0, 2): 3 + 2 pairs
    assert (bg + fg + neg)[0, :, 2].sum() == 5
    assert ((bg + fg + neg) <= 1).all()


def test_loss_prefers_boundaries_on_seed_edges():
    seeds = torch.zeros(1, 12, 12, dtype=torch.long)
    seeds[:, :, 6:] = 3
    good = torch.zeros(1, 12, 12)
    good[:, :, 5:7] = 0.99  # boundary between the two regions
    flat = torch.zeros(1, 12, 12)
    lg, lf = boundary_loss(good, seeds, 4), boundary_loss(flat, seeds, 4)
    assert sum(lg.values()) < sum(lf.values())
    assert lf['loss_neg'] > 1  # no boundary: negative pairs look connected
    assert lf['loss_bg_pos'] < 1e-3  # but positive pairs are fine


def test_boundary_net_shapes_frozen_backbone_and_loss():
    model = tiny_boundary_net()
    model.train()
    x = torch.randn(2, 3, 37, 50)
    logits = model(x)
    assert logits.shape == (2, 1, 10, 13)  # ceil(H / 4), ceil(W / 4)
    assert not model.backbone.training
    samples = []
    for _ in range(2):
        s = SegDataSample()
        seed = torch.zeros(1, 37, 50, dtype=torch.long)
        seed[:, :, 25:] = 2
        s.gt_sem_seg = PixelData(data=seed)
        samples.append(s)
    losses = model(x, samples, mode='loss')
    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.backbone.parameters())
    assert model.fuse.weight.grad is not None
    b = model.boundary_map(x[:1])
    assert b.shape == (10, 13) and (b > 0).all() and (b < 1).all()
