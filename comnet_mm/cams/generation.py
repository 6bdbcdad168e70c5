"""CAM generation and scoring for a split: one .npz per image, atomic,
resumable, split across ranks. Used by the ``after_train`` hook and by
``tools/make_cams.py`` alike."""
import os.path as osp
import zipfile
from typing import Dict

import mmcv
import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.hooks import Hook
from mmengine.registry import METRICS as MMENGINE_METRICS

from comnet_mm.datasets.seg_tag_dataset import read_label_map
from comnet_mm.engine.per_image import (atomic_write, build_split,
                                        run_per_image, stage_model,
                                        write_metrics)
from comnet_mm.registry import HOOKS
from .inference import multiscale_cams

CAM_KEYS = ('keys', 'cam', 'high_res')


def save_npz_atomic(path: str, **arrays):
    """Write an .npz under a temporary name in the same folder, then rename."""
    atomic_write(path, lambda t: np.savez(t, **arrays), '.npz')


def load_cams(path: str) -> Dict[str, np.ndarray]:
    """The arrays of a CAM file; errors name the file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'CAM file not found: {path}')
    try:
        with np.load(path, allow_pickle=False) as f:
            out = {k: f[k] for k in CAM_KEYS}
    except (OSError, ValueError, KeyError, EOFError,
            zipfile.BadZipFile) as e:
        raise ValueError(f'CAM file {path} is not a complete CAM file: {e}') \
            from None
    k = len(out['keys'])
    if out['cam'].shape[0] != k or out['high_res'].shape[0] != k:
        raise ValueError(f'CAM file {path}: {k} keys but maps of shapes '
                         f'{out["cam"].shape} and {out["high_res"].shape}')
    return out


def is_complete(path: str) -> bool:
    try:
        load_cams(path)
        return True
    except (FileNotFoundError, ValueError):
        return False


@torch.no_grad()
def generate_cams(model, dataset, out_dir: str, scales=(1.0, 0.5, 1.5, 2.0),
                  flip: bool = True) -> int:
    """Write ``<out_dir>/<img_id>.npz`` for this rank's share of the split.

    Rank r of W takes images r, r + W, ...; a file that is already complete
    is kept, so a killed run resumes where it stopped. Returns the number of
    files written by this rank.
    """

    def make(info, path):
        img = mmcv.imread(info['img_path'])
        if img is None:
            raise ValueError(f'image {info["img_path"]} cannot be read')
        save_npz_atomic(
            path, **multiscale_cams(model, img, info['gt_label'], scales,
                                    flip))

    return run_per_image(dataset, out_dir, '.npz', make, is_complete,
                         'CAM files')


def score_cams(dataset, out_dir: str, metric_cfg: dict) -> dict:
    """Evaluate the CAM files of the split against its masks (all ranks
    take part; every rank gets the metrics)."""
    metric = MMENGINE_METRICS.build(metric_cfg)
    rank, world = get_dist_info()
    for i in range(rank, len(dataset), world):
        info = dataset.get_data_info(i)
        if not info.get('seg_map_path'):
            raise ValueError(f'{info["img_id"]} has no mask to score its '
                             'CAMs against (dataset without seg_map_path)')
        cams = load_cams(osp.join(out_dir, info['img_id'] + '.npz'))
        metric.process(None, [
            dict(cams=cams['high_res'], cam_labels=cams['keys'],
                 gt_sem_seg=read_label_map(info['seg_map_path']),
                 img_id=info['img_id'])
        ])
    return metric.evaluate(len(dataset))


def run_cam_stage(model, cam_cfg: dict, work_dir: str) -> dict:
    """Generate the CAMs of ``cam_cfg.dataset`` and score them.

    ``cam_cfg``: ``dataset`` (the split to write CAMs for, e.g. train_aug,
    which the later stages need), ``eval_dataset`` (the split to score, whose
    images must be in ``dataset``; default ``dataset``), ``out_dir``
    (relative to ``work_dir``), ``scales``, ``flip`` and ``metric`` (a
    :class:`CAMIoUMetric` config, or None to skip scoring). The metrics are
    returned and written to ``<out_dir>_metrics.json``.
    """
    dataset = build_split(cam_cfg['dataset'])
    out_dir = osp.join(work_dir, cam_cfg.get('out_dir', 'cams'))
    with stage_model(model) as bare:
        generate_cams(bare, dataset, out_dir,
                      tuple(cam_cfg.get('scales', (1.0, 0.5, 1.5, 2.0))),
                      cam_cfg.get('flip', True))
    if not cam_cfg.get('metric'):
        return {}
    eval_set = build_split(cam_cfg['eval_dataset']) \
        if cam_cfg.get('eval_dataset') else dataset
    return write_metrics(score_cams(eval_set, out_dir, cam_cfg['metric']),
                         out_dir)


@HOOKS.register_module()
class CAMGenerationHook(Hook):
    """After training, write the CAMs of ``cfg.cam_cfg`` and log their mIoU.

    Reads ``cam_cfg`` from the hook's argument or, if None, from the run's
    config (see :func:`run_cam_stage`).
    """
    priority = 'LOW'

    def __init__(self, cam_cfg: dict = None):
        self.cam_cfg = cam_cfg

    def after_train(self, runner):
        cam_cfg = self.cam_cfg or runner.cfg.get('cam_cfg')
        if cam_cfg is None:
            raise ValueError('CAMGenerationHook needs cam_cfg (argument or '
                             'config key)')
        metrics = run_cam_stage(runner.model, cam_cfg, runner.work_dir)
        if metrics:
            runner.logger.info('CAM evaluation: ' + ', '.join(
                f'{k}: {v}' for k, v in metrics.items()))
