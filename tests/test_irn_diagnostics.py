"""The IRN diagnostics' counts on hand-made maps."""
import numpy as np
import pytest

from comnet_mm.irn import diagnostics as diag


def test_mean_iou_hand_case_and_absent_classes():
    gt = np.array([[0, 0, 1, 1], [0, 255, 1, 1]])
    pred = np.array([[0, 1, 1, 1], [0, 0, 0, 1]])
    m = diag.MeanIoU(3)  # class 2 in neither map: left out of the mean
    m.add(pred, gt)
    # by hand: gt 0 at (0,0)
    # (0,1) (1,0), pred 0 at (0,0) (1,0) (1,2): inter 2, union 4;
    # fg: gt 1 at 4 pixels, pred 1 at 3 of them and at (0,1): inter 3,
    # union 5
    assert m.value() == pytest.approx(100 * (2 / 4 + 3 / 5) / 2)
    m.add(np.zeros((1, 2), np.int64), np.zeros((1, 2), np.int64))
    assert m.value() == pytest.approx(100 * (4 / 6 + 3 / 5) / 2)


def test_seed_counts_hand_case():
    gt = np.array([[0, 0, 2, 2, 255]])
    seed = np.array([[0, 255, 2, 0, 2]])
    c = diag.seed_counts(seed, gt)
    assert c == dict(
        fg_seed=1,
        fg_right=1,
        fg_gt=2,
        bg_seed=2,
        bg_right=1,
        bg_gt=2,
        unsure=1,
        pixels=4)
    s = diag.seed_summary(c)
    assert s['seed fg precision'] == 100 and s['seed fg recall'] == 50
    assert s['seed bg precision'] == 50 and s['seed unsure share'] == 25


def test_edges_at_stride4():
    gt = np.zeros((16, 16), np.int64)
    gt[:, 8:] = 3  # a vertical edge between stride-4 columns 1 and 2
    edges = diag.edges_at_stride4(gt, (4, 5))  # one column beyond the image
    assert edges[:, 1].all() and edges[:, 2].all()
    assert not edges[:, 0].any()
    assert edges[:, 4].all()  # outside the image counts as an edge


def test_boundary_counts():
    edges = np.array([[True, False], [False, False]])
    b = np.array([[0.9, 0.6], [0.1, 0.0]])
    s = diag.boundary_summary(diag.boundary_counts(b, edges))
    assert s['boundary mean on mask edges'] == pytest.approx(0.9)
    assert s['boundary mean off edges'] == pytest.approx(0.7 / 3)
    assert s['boundary > 0.5 on edges (% of edge cells)'] == 100
    assert s['boundary > 0.5 precision (% on edges)'] == 50
