"""The figures' numbers: the intra-matching partner figure (paper Fig. 4)
against a brute-force nearest-neighbour search on the same features."""
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

import comnet_mm  # noqa: F401  (registers the CAM model and necks)
from comnet_mm.visualization import model_input, neck_types, partner_points
from conftest import REPO


def test_partner_points_brute_force():
    cfg = Config.fromfile(f'{REPO}/configs/comnet/comnet_toy.py')
    assert neck_types(cfg) == ['InterMatching', 'IntraMatching']
    init_default_scope(cfg.default_scope)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (128, 128, 3), dtype=np.uint8)
    gt = np.zeros((128, 128), np.uint8)
    gt[32:96, 16:80] = 3  # the largest object: class 3
    gt[100:124, 100:124] = 5  # a smaller one
    gt[0:8, 120:128] = 255  # ignore
    with torch.no_grad():
        point, partners, (h, w), same = partner_points(model, img, gt, 128)
        neck = model.neck[1]
        feats = model.backbone(model_input(model, img, 128))[neck.in_index]
    assert (h, w) == (16, 16)  # output stride 8
    # the chosen point: the class-3 cell nearest the class-3 centroid
    small = gt[::8, ::8]  # nearest-neighbour 16 x 16 (cell corners)
    ys, xs = np.nonzero(small == 3)
    d = (ys - ys.mean())**2 + (xs - xs.mean())**2
    assert small[point] == 3 and d[(ys == point[0]) & (xs == point[1])] == \
        d.min()
    # its partners: the k l2-nearest other cells of the feature map
    pts = feats[0].flatten(1).T.double()  # (P, c)
    i = point[0] * w + point[1]
    dist = ((pts - pts[i])**2).sum(1)
    dist[i] = float('inf')
    want = set(dist.topk(neck.k, largest=False).indices.tolist())
    assert {y * w + x for y, x in partners} == want
    assert same == sum(int(small[y, x] == 3) for y, x in partners)
