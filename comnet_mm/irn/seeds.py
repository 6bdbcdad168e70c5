"""IRN's seeds for the boundary network (``step/cam_to_ir_label.py``)."""
import os.path as osp

import mmcv
import numpy as np
import torch

from comnet_mm.structures.cam_maps import labels_from_scores, load_cams
from comnet_mm.structures.crf import crf_labels
from comnet_mm.utils.per_image import (png_complete, read_made_with,
                                       run_per_image, save_png_atomic)


def seed_labels(img: np.ndarray,
                high_res: np.ndarray,
                keys: np.ndarray,
                fg_thr: float = 0.30,
                bg_thr: float = 0.05,
                **crf) -> np.ndarray:
    """Confident foreground / background from full-size CAMs, CRF-refined.

    Foreground: the CAM argmax against a constant ``fg_thr`` background, CRF
    refined; background: the same with ``bg_thr``, CRF refined. A pixel is
    its foreground class where the first says so, background (0) where both
    say background, and 255 (ignored) where they disagree.

    Args:
        img: (H, W, 3) uint8 RGB image.
        high_res: (K, H, W) normalised CAMs of the classes ``keys``.
        keys: (K,) class indices 0..C-1.
        fg_thr, bg_thr: IRN's 0.30 and 0.05.
        **crf: arguments for :func:`crf_labels` (iterations, pairwise terms).

    Returns:
        (H, W) uint8: 0 background, c + 1 class c, 255 ignore.
    """
    ids = np.concatenate([[0], np.asarray(keys, np.int64) + 1])
    # labels_from_scores with keys 0..K-1 gives indices into ``ids``
    local = torch.arange(len(keys))
    out = []
    for thr in (fg_thr, bg_thr):
        coarse = labels_from_scores(torch.from_numpy(high_res), local, thr)
        labels = crf_labels(img, coarse.numpy(), len(ids), **crf)
        out.append(ids[labels])
    fg, bg = out
    seed = fg.copy()
    seed[fg == 0] = 255
    seed[(fg == 0) & (bg == 0)] = 0
    return seed.astype(np.uint8)


def generate_seeds(dataset,
                   cam_dir: str,
                   out_dir: str,
                   fg_thr: float = 0.30,
                   bg_thr: float = 0.05,
                   crf: dict = None) -> int:
    """Write ``<out_dir>/<img_id>.png`` seeds from ``<cam_dir>/<img_id>.npz``
    for this rank's share of ``dataset`` (atomic, resumable; seeds made with
    other thresholds, CRF or CAMs are moved aside, not reused)."""

    def make(info, path):
        cams = load_cams(osp.join(cam_dir, info['img_id'] + '.npz'))
        img = mmcv.imread(info['img_path'], channel_order='rgb')
        if img is None:
            raise ValueError(f'image {info["img_path"]} cannot be read')
        if cams['high_res'].shape[1:] != img.shape[:2]:
            raise ValueError(
                f'CAMs of {info["img_id"]} are {cams["high_res"].shape[1:]}, '
                f'the image is {img.shape[:2]}')
        save_png_atomic(
            path,
            seed_labels(img, cams['high_res'], cams['keys'], fg_thr, bg_thr,
                        **(crf or {})))

    made_with = dict(
        fg_thr=fg_thr,
        bg_thr=bg_thr,
        crf=crf or {},
        cam_dir=osp.abspath(cam_dir),
        cams=read_made_with(cam_dir))
    return run_per_image(dataset, out_dir, '.png', make, png_complete,
                         'seed maps', made_with)
