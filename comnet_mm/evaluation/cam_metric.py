"""CAM quality: background threshold -> argmax -> mIoU, as IRN and COMNet
report it."""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmseg.evaluation.metrics import IoUMetric

from comnet_mm.registry import METRICS
from comnet_mm.structures.cam_maps import labels_from_scores

DEFAULT_SWEEP = tuple(round(0.05 * i, 2) for i in range(1, 13))  # 0.05..0.60


def cams_to_labels(cams: torch.Tensor, keys: torch.Tensor,
                   bg_thr: float) -> torch.Tensor:
    """(K, H, W) normalised CAMs of classes ``keys`` (0..C-1) -> (H, W)
    labels (:func:`comnet_mm.structures.cam_maps.labels_from_scores`)."""
    return labels_from_scores(cams.float().cpu(), keys, bg_thr)


@METRICS.register_module()
class CAMIoUMetric(BaseMetric):
    """mIoU of CAMs over C + 1 classes (background included), 255 ignored.

    For every threshold of the sweep (and the configured one) the CAMs become
    a label map by :func:`cams_to_labels`; intersections and unions are
    accumulated with mmseg's ``IoUMetric.intersect_and_union`` and turned
    into IoUs with ``IoUMetric.total_area_to_metrics``, so the numbers are
    mmseg's. Reports ``mIoU`` at ``bg_thr``, ``best_mIoU`` and ``best_thr``
    over the sweep, and logs the per-class table at ``bg_thr``.

    Each sample given to :meth:`process` is a dict with ``cams`` (K, H, W),
    ``cam_labels`` (K,) and ``gt_sem_seg`` (H, W) (tensors or arrays).

    Args:
        num_classes (int): foreground classes C.
        bg_thr (float): background threshold (VOC: 0.15).
        sweep (Sequence[float]): thresholds to search.
        class_names (Sequence[str], optional): C foreground names.
        ignore_index (int): label ignored in the masks.
    """
    default_prefix = 'cam'

    def __init__(self,
                 num_classes: int,
                 bg_thr: float = 0.15,
                 sweep: Sequence[float] = DEFAULT_SWEEP,
                 class_names: Optional[Sequence[str]] = None,
                 ignore_index: int = 255,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.num_classes = num_classes
        self.bg_thr = bg_thr
        self.thresholds = sorted(set(list(sweep) + [bg_thr]))
        self.class_names = ['background'] + list(
            class_names or [str(c) for c in range(num_classes)])
        self.ignore_index = ignore_index

    def process(self, data_batch, data_samples: Sequence[dict]):
        for s in data_samples:
            cams = torch.as_tensor(np.asarray(s['cams'], dtype=np.float32))
            keys = torch.as_tensor(np.asarray(s['cam_labels'])).long()
            gt = torch.as_tensor(np.asarray(s['gt_sem_seg'])).long()
            if cams.shape[1:] != gt.shape:
                raise ValueError(
                    f'CAMs of size {tuple(cams.shape[1:])} and mask of size '
                    f'{tuple(gt.shape)} differ ({s.get("img_id", "?")})')
            areas = []
            for thr in self.thresholds:
                pred = cams_to_labels(cams, keys, thr)
                areas.append(
                    torch.stack(
                        IoUMetric.intersect_and_union(pred, gt,
                                                      self.num_classes + 1,
                                                      self.ignore_index)))
            self.results.append(torch.stack(areas).numpy())  # (T, 4, C+1)

    def compute_metrics(self, results: List[np.ndarray]) -> Dict[str, float]:
        total = np.sum(results, axis=0)  # (T, 4, C+1)
        mious = {}
        per_class = None
        for t, thr in enumerate(self.thresholds):
            m = IoUMetric.total_area_to_metrics(*torch.from_numpy(total[t]),
                                                ['mIoU'])
            mious[thr] = float(np.round(np.nanmean(m['IoU']) * 100, 2))
            if thr == self.bg_thr:
                per_class = m['IoU']
        best = max(mious, key=lambda t: (mious[t], -t))
        table = OrderedDict((name, round(float(v) * 100, 2))
                            for name, v in zip(self.class_names, per_class))
        print_log(
            f'CAM IoU per class at bg_thr={self.bg_thr}: ' +
            ', '.join(f'{k} {v}' for k, v in table.items()),
            logger='current')
        print_log(
            'CAM mIoU per threshold: ' + ', '.join(f'{t}: {v}'
                                                   for t, v in mious.items()),
            logger='current')
        return dict(
            mIoU=mious[self.bg_thr], best_mIoU=mious[best], best_thr=best)
