"""Multi-scale + flip CAM inference of one image (IRN ``step/make_cam.py``)."""
import math
from typing import Dict, Sequence

import mmcv
import numpy as np
import torch
import torch.nn.functional as F

from comnet_mm.models.inputs import model_inputs
from comnet_mm.structures.cam_maps import normalize_cams


def strided_size(size, stride: int):
    """(ceil(H / stride), ceil(W / stride))."""
    return tuple(math.ceil(s / stride) for s in size)


@torch.no_grad()
def multiscale_cams(model,
                    img: np.ndarray,
                    keys: Sequence[int],
                    scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0),
                    flip: bool = True) -> Dict[str, np.ndarray]:
    """CAMs of the classes ``keys`` of one image, at stride 4 and full size.

    For every scale the image is resized (bicubic), fed with its horizontal
    flip through ``model.extract_feat`` and ``model.head.class_maps`` (a
    :class:`CAMClassifier` in eval mode: inter-matching off, intra-matching
    on), each view is ReLU'd, the flip is flipped back and added; every
    scale's map is resized (bilinear) to ceil(H/4) x ceil(W/4) and to
    H x W (via the stride-16 size, as IRN), and the scales are summed.
    Each class map is then divided by its maximum + 1e-5.

    Args:
        model: a CAM model with ``data_preprocessor``, ``extract_feat`` and
            ``head.class_maps``.
        img: (H, W, 3) uint8 BGR image.
        keys: foreground class indices (0..C-1) to keep.
        scales: input scales.
        flip: add the horizontal flip of each scale.

    Returns:
        dict of numpy arrays: ``keys`` (K,) int64, ``cam`` (K, ceil(H/4),
        ceil(W/4)) float32 and ``high_res`` (K, H, W) float32.
    """
    h, w = img.shape[:2]
    size4 = strided_size((h, w), 4)
    size16 = tuple(16 * s for s in strided_size((h, w), 16))
    keys_t = torch.as_tensor(list(keys), dtype=torch.long)
    if not len(keys_t):  # an image without classes has no CAMs
        return dict(
            keys=np.zeros(0, np.int64),
            cam=np.zeros((0, ) + size4, np.float32),
            high_res=np.zeros((0, h, w), np.float32))
    low = high = 0
    for scale in scales:
        im = img if scale == 1.0 else mmcv.imresize(
            img, (max(1, round(w * scale)), max(1, round(h * scale))),
            interpolation='bicubic')
        t = torch.from_numpy(np.ascontiguousarray(im)).permute(2, 0, 1)
        views = [t, t.flip(-1)] if flip else [t]
        maps = F.relu(
            model.head.class_maps(
                model.extract_feat(model_inputs(model, views))))
        m = maps[0] + maps[1].flip(-1) if flip else maps[0]
        m = m[keys_t.to(m.device)][None].float()
        low = low + F.interpolate(
            m, size4, mode='bilinear', align_corners=False)[0]
        high = high + F.interpolate(
            m, size16, mode='bilinear', align_corners=False)[0, :, :h, :w]
    return dict(
        keys=keys_t.numpy(),
        cam=normalize_cams(low).cpu().numpy().astype(np.float32),
        high_res=normalize_cams(high).cpu().numpy().astype(np.float32))
