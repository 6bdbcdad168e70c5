import numpy as np
import pytest

from comnet_mm.datasets import RandomCropPad


def _find(canvas, img):
    """Top-left position of ``img`` inside ``canvas`` (brute force)."""
    H, W = canvas.shape[:2]
    h, w = img.shape[:2]
    hits = [(y, x) for y in range(H - h + 1) for x in range(W - w + 1)
            if np.array_equal(canvas[y:y + h, x:x + w], img)]
    assert len(hits) == 1
    return hits[0]


def test_small_image_lands_at_random_place_on_padded_canvas():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (6, 5, 3)).astype(np.uint8)
    seg = rng.integers(0, 4, (6, 5)).astype(np.uint8)
    t = RandomCropPad(crop_size=(10, 9), pad_val=(7, 8, 9))
    places = set()
    for seed in range(40):
        np.random.seed(seed)
        out = t(dict(img=img.copy(), gt_seg_map=seg.copy()))
        assert out['img'].shape == (10, 9, 3) and out['img_shape'] == (10, 9)
        y, x = _find(out['img'], img)
        x0, y0, x1, y1 = out['crop_box']
        assert (x0, y0, x1, y1) == (x, y, x + 5, y + 6)
        assert np.array_equal(out['gt_seg_map'][y:y + 6, x:x + 5], seg)
        pad = np.ones((10, 9), bool)
        pad[y:y + 6, x:x + 5] = False
        assert (out['img'][pad] == (7, 8, 9)).all()
        assert (out['gt_seg_map'][pad] == 255).all()
        places.add((y, x))
    # IRN draws the placement: not always centred, not always top-left
    assert len(places) > 5


def test_large_image_is_cropped_to_a_window():
    img = np.arange(20 * 30 * 3, dtype=np.float32).reshape(20, 30, 3)
    t = RandomCropPad(crop_size=8)
    for seed in range(10):
        np.random.seed(seed)
        out = t(dict(img=img))
        y, x = _find(img, out['img'])
        assert out['crop_box'] == (0, 0, 8, 8)


def test_mixed_axes_and_bad_size():
    img = np.ones((4, 30, 3), np.uint8)
    out = RandomCropPad(crop_size=(8, 8), pad_val=0)(dict(img=img))
    assert out['img'].shape == (8, 8, 3)
    assert out['img'].sum() == 4 * 8 * 3  # 4 rows of image, the rest padding
    with pytest.raises(ValueError, match='crop_size'):
        RandomCropPad(crop_size=(0, 4))
