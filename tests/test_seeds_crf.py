import numpy as np
import pytest

from comnet_mm.irn.seeds import seed_labels
from comnet_mm.structures.crf import crf_labels, crf_probs


def two_tone(h=40, w=40, edge=20):
    img = np.zeros((h, w, 3), np.uint8)
    img[:, edge:] = 255
    truth = np.zeros((h, w), np.int64)
    truth[:, edge:] = 1
    return img, truth


def test_crf_moves_labels_to_image_edges():
    img, truth = two_tone()
    rng = np.random.default_rng(0)
    noisy = np.zeros_like(truth)
    noisy[:, 16:] = 1  # boundary 4 px off the image edge
    flips = rng.random(truth.shape) < 0.1  # and salt noise
    noisy[flips] = 1 - noisy[flips]
    before = (noisy == truth).mean()
    after = (crf_labels(img, noisy, 2) == truth).mean()
    assert before < 0.85 and after > 0.97
    probs = np.stack([noisy == 0, noisy == 1]).astype(np.float32) * 0.6 + 0.2
    q = crf_probs(img, probs)
    assert q.shape == (2, 40, 40) and np.allclose(q.sum(0), 1, atol=1e-4)
    assert (q.argmax(0) == truth).mean() > 0.95
    with pytest.raises(ValueError, match='differ in size'):
        crf_labels(img, noisy[:10], 2)


def test_seed_rule():
    img, _ = two_tone()
    cams = np.full((1, 40, 40), 0.01, np.float32)
    cams[0, :, 20:] = 0.9  # confident object: the white half
    cams[0, :, 8:20] = 0.15  # between the two thresholds: uncertain
    seed = seed_labels(img, cams, np.array([2]), iters=0)
    assert (seed[:, 21:] == 3).all()  # class index 2 -> label 3
    assert (seed[:, :7] == 0).all()  # background where both say so
    assert (seed[:, 9:19] == 255).all()  # disagreement is ignored
    assert set(np.unique(seed)) == {0, 3, 255}
