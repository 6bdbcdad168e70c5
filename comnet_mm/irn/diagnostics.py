"""What the IRN stage sees, measured against the real masks: seed precision
and recall, boundary maps against the masks' edges, and the walk's labels
over a sweep of background thresholds (``tools/analysis_tools/
irn_diagnostics.py``). Numbers to find out why a walk floods or starves,
on ``train`` only: thresholds are chosen there, never on ``val``."""
from typing import Dict, Sequence

import numpy as np
import torch
from mmseg.evaluation.metrics import IoUMetric

from .random_walk import walk_to_labels


class MeanIoU:
    """mIoU (%) accumulated over images with mmseg's own
    ``IoUMetric.intersect_and_union`` / ``total_area_to_metrics`` (the code
    that scores the pseudo masks), without a dataset or data samples."""

    def __init__(self, num_classes: int, ignore_index: int = 255):
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.areas = [0, 0, 0, 0]

    def add(self, pred: np.ndarray, gt: np.ndarray):
        areas = IoUMetric.intersect_and_union(
            torch.from_numpy(np.asarray(pred, np.int64)),
            torch.from_numpy(np.asarray(gt, np.int64)), self.num_classes,
            self.ignore_index)
        self.areas = [a + b for a, b in zip(self.areas, areas)]

    def value(self) -> float:
        iou = IoUMetric.total_area_to_metrics(*self.areas, ['mIoU'])['IoU']
        return float(100 * np.nanmean(np.asarray(iou, np.float64)))


def seed_counts(seed: np.ndarray, gt: np.ndarray) -> Dict[str, int]:
    """Pixel counts for seed precision / recall (foreground and background).

    ``seed``: 0 bg, c + 1 fg, 255 unsure; ``gt``: 0 bg, c + 1, 255 ignore.
    """
    valid = gt != 255
    s, g = seed[valid], gt[valid]
    return dict(
        fg_seed=int(((s > 0) & (s != 255)).sum()),
        fg_right=int(((s > 0) & (s != 255) & (s == g)).sum()),
        fg_gt=int((g > 0).sum()),
        bg_seed=int((s == 0).sum()),
        bg_right=int(((s == 0) & (g == 0)).sum()),
        bg_gt=int((g == 0).sum()),
        unsure=int((s == 255).sum()),
        pixels=int(valid.sum()))


def seed_summary(c: Dict[str, int]) -> Dict[str, float]:
    """Precision, recall and unsure share (%) from summed
    :func:`seed_counts`."""
    pct = lambda a, b: 100.0 * a / max(b, 1)  # noqa: E731
    return {
        'seed fg precision': pct(c['fg_right'], c['fg_seed']),
        'seed fg recall': pct(c['fg_right'], c['fg_gt']),
        'seed bg precision': pct(c['bg_right'], c['bg_seed']),
        'seed bg recall': pct(c['bg_right'], c['bg_gt']),
        'seed unsure share': pct(c['unsure'], c['pixels']),
    }


def edges_at_stride4(gt: np.ndarray, size) -> np.ndarray:
    """(h, w) bool: stride-4 cells (the centre pixel of each 4 x 4 cell, as
    the boundary net's training seeds) whose 8-neighbourhood holds another
    valid label; 255 (VOC's border band) counts as an edge."""
    h, w = size
    lab = np.full((h, w), 255, np.int64)
    sub = gt[2::4, 2::4][:h, :w]
    lab[:sub.shape[0], :sub.shape[1]] = sub
    edge = lab == 255
    pad = np.pad(lab, 1, mode='edge')
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            other = pad[1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
            edge |= other != lab
    return edge


def boundary_counts(boundary: np.ndarray,
                    edges: np.ndarray,
                    thr: float = 0.5) -> Dict[str, float]:
    """Sums for boundary-vs-edge statistics of one image."""
    hit = boundary > thr
    return dict(
        edge_cells=int(edges.sum()),
        flat_cells=int((~edges).sum()),
        edge_sum=float(boundary[edges].sum()),
        flat_sum=float(boundary[~edges].sum()),
        hit_on_edge=int((hit & edges).sum()),
        hit=int(hit.sum()))


def boundary_summary(c: Dict[str, float]) -> Dict[str, float]:
    return {
        'boundary mean on mask edges':
        c['edge_sum'] / max(c['edge_cells'], 1),
        'boundary mean off edges':
        c['flat_sum'] / max(c['flat_cells'], 1),
        'boundary > 0.5 on edges (% of edge cells)':
        100.0 * c['hit_on_edge'] / max(c['edge_cells'], 1),
        'boundary > 0.5 precision (% on edges)':
        100.0 * c['hit_on_edge'] / max(c['hit'], 1),
    }


def sweep_labels(walked: torch.Tensor, keys: torch.Tensor, image_size,
                 thresholds: Sequence[float]):
    """Label maps of one walked image for each background threshold
    (:func:`comnet_mm.irn.random_walk.walk_to_labels`)."""
    return [
        walk_to_labels(walked, keys, image_size, t).numpy() for t in thresholds
    ]
