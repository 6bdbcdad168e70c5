"""The matching diagnostics by hand, and the tool on a checkpoint."""
import itertools
import json
import sys

import numpy as np
import pytest
import torch

from comnet_mm.cams.matching_diagnostics import (background_leak,
                                                 co_occurrent_pairs,
                                                 label_cells, mask_quality,
                                                 partner_precision,
                                                 variant_qualities)
from comnet_mm.models.necks.inter_matching import AFFINITIES, co_occurrent_mask
from conftest import random_checkpoint, run_tool


def test_mask_quality_hand_case():
    target = np.zeros((2, 2, 2), bool)
    target[0, 0] = True  # image 0: top row is the shared object
    target[1, :, 0] = True  # image 1: left column
    positive = target.copy()
    positive[1, 1, 1] = True  # one false positive
    valid = np.ones_like(target)
    q = mask_quality(positive, target, valid)
    assert q == dict(iou=4 / 5, positive=5 / 8, split=0.0)
    # ignored cells count nowhere
    valid[1, 1, 1] = False
    assert mask_quality(positive, target, valid)['iou'] == 1.0
    # image 0 all positive, image 1 none: an image-vs-image split
    split = np.zeros_like(target)
    split[0] = True
    assert mask_quality(split, target, np.ones_like(target))['split'] == 1.0


def test_partner_precision_hand_case():
    labels = np.array([0, 0, 1, 1, 255])
    partners = np.array([[1, 2], [0, 4], [3, 0], [4, 2], [0, 1]])
    # point 0: 1 of 2 same; point 1: 1 of 1 counted (4 ignored);
    # point 2: 1 of 2; point 3: 1 of 1 counted; point 4 ignored
    p, c = partner_precision(partners, labels)
    assert p == pytest.approx((0.5 + 1 + 0.5 + 1) / 4)
    assert c == pytest.approx(1 / 3)  # one same-label point of 3 others
    fp, fc = partner_precision(partners, labels, foreground=True)
    assert fp == pytest.approx((0.5 + 1) / 2) and fc == pytest.approx(1 / 3)
    assert np.isnan(partner_precision(partners, np.full(5, 255))[0])


def test_background_leak_hand_case_and_chance_by_enumeration():
    labels = np.array([0, 0, 0, 1, 255])
    partners = np.array([[1, 3], [0, 2], [4, 1], [0, 1], [0, 3]])
    # background points 0, 1, 2: only point 0 has an object partner (3);
    # point 2's partner 4 is ignored, not an object
    leak, chance = background_leak(partners, labels)
    assert leak == pytest.approx(1 / 3)
    # 3 other valid points, one an object: 2 of them miss it in 1 of 3 ways
    assert chance == pytest.approx(2 / 3)
    # the chance rate is the leak of every possible partner choice
    labels = np.array([0, 2, 0, 0, 1, 0, 255, 0])
    valid = np.flatnonzero(labels != 255)
    for k in (1, 2, 3):
        hits = [
            bool((labels[list(c)] > 0).any()) for i in valid if labels[i] == 0
            for c in itertools.combinations([j for j in valid if j != i], k)
        ]
        partners = np.zeros((len(labels), k), np.int64)
        assert background_leak(partners,
                               labels)[1] == pytest.approx(np.mean(hits)), k
    assert np.isnan(background_leak(partners, np.zeros(8, np.int64))[0])
    assert np.isnan(background_leak(partners, np.ones(8, np.int64))[0])


def test_label_cells_keeps_labels_and_ignore():
    label = np.zeros((8, 8), np.uint8)
    label[:4, :4] = 3
    label[4:, 4:] = 255
    cells = label_cells(label, (2, 2))
    assert cells.tolist() == [[3, 0], [0, 255]]


def test_co_occurrent_pairs_are_disjoint_and_share():
    infos = [
        dict(img_id=str(i), gt_label=t)
        for i, t in enumerate([[0], [1], [0, 2], [2], [1]])
    ]
    pairs = co_occurrent_pairs(infos, 5)
    assert [(a['img_id'], b['img_id'], s)
            for a, b, s in pairs] == [('0', '2', [0]), ('1', '4', [1])]


def test_variant_qualities_best_cam_and_the_neck_agree():
    """Each entry is mask_quality of the neck's own mask; 'best' is the
    better sign, 'cam' the sign the CAM prefers (a CAM equal to the target
    picks the side that overlaps it)."""
    g = torch.Generator().manual_seed(0)
    feats = torch.randn(2, 8, 4, 4, generator=g, dtype=torch.float64)
    target = np.zeros((2, 4, 4), bool)
    target[:, 1:3, 1:3] = True
    feats[:, :, 1:3, 1:3] += 3 * torch.rand(
        8, 1, 1, generator=g, dtype=torch.float64)
    feats = feats.clamp_min(0)
    valid = np.ones_like(target)
    cam = torch.from_numpy(target.astype(float))
    out = variant_qualities(feats, cam, target, valid)
    for affinity in AFFINITIES:
        m = co_occurrent_mask(feats, orientation='minority', affinity=affinity)
        assert out[f'{affinity}/minority'] == mask_quality((m > 0).numpy(),
                                                           target, valid)
        raw = co_occurrent_mask(
            feats, orientation='border', affinity=affinity, unit=False)
        assert out[f'{affinity}_raw/border'] == mask_quality((raw > 0).numpy(),
                                                             target, valid)
        both = [
            mask_quality((m > 0).numpy(), target, valid),
            mask_quality((m < 0).numpy(), target, valid)
        ]
        assert out[f'{affinity}/best']['iou'] == max(q['iou'] for q in both)
        # the CAM's side holds the target, so its IoU is the better one
        # unless M*'s positive side and negative side hold it equally
        assert out[f'{affinity}/cam']['iou'] == out[f'{affinity}/best'][
            'iou'], affinity


@pytest.mark.slow
def test_tool_on_a_checkpoint(toy_root, tmp_path):
    ckpt = random_checkpoint('configs/comnet/comnet_toy.py',
                             tmp_path / 'cam.pth')
    out = tmp_path / 'diag.json'
    run_tool([
        sys.executable, 'tools/analysis_tools/matching_diagnostics.py',
        'configs/comnet/comnet_toy.py',
        str(ckpt), '--cfg-options',
        f'cam_cfg.eval_dataset.data_root={toy_root}', 'diag_pairs=4',
        f'diag_out={out}', 'diag_variants=True'
    ])
    d = json.load(open(out))
    assert d['inter/pairs'] == 4 and d['intra/k'] == 8
    for key in ('inter/iou', 'inter/positive', 'intra/precision',
                'intra/chance', 'intra/fg_precision', 'intra/fg_chance',
                'intra/bg_leak', 'intra/bg_leak_chance'):
        assert 0 <= d[key] <= 1, key
    for affinity in AFFINITIES:
        for rule in ('norm', 'border', 'cam', 'best'):
            key = f'inter/{affinity}/{rule}/iou'
            assert 0 <= d[key] <= 1, key
        assert d[f'inter/{affinity}/best/iou'] >= d[
            f'inter/{affinity}/norm/iou'] - 1e-12
    # the neck's own metric (l2) among the partner-metric variants
    assert d['intra/l2/fg_precision'] == pytest.approx(d['intra/fg_precision'])
    assert 0 <= d['intra/cosine/fg_precision'] <= 1
