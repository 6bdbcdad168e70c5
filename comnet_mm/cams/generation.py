"""CAM generation and scoring for a split: one .npz per image, atomic,
resumable, split across ranks. Used by the ``after_train`` hook and by
``tools/make_cams.py`` alike."""
import os.path as osp

import mmcv
import torch
from mmengine.registry import METRICS as MMENGINE_METRICS

from comnet_mm.datasets.seg_tag_dataset import read_label_map
from comnet_mm.structures.cam_maps import cams_complete, load_cams
from comnet_mm.utils.per_image import (build_split, rank_share_with_masks,
                                       run_per_image, save_npz_atomic,
                                       stage_model, state_digest,
                                       write_metrics)
from .inference import multiscale_cams
from .matching_diagnostics import co_occurrent_pairs, matching_diagnostics


@torch.no_grad()
def generate_cams(model,
                  dataset,
                  out_dir: str,
                  scales=(1.0, 0.5, 1.5, 2.0),
                  flip: bool = True) -> int:
    """Write ``<out_dir>/<img_id>.npz`` for this rank's share of the split.

    Rank r of W takes images r, r + W, ...; a file that is already complete
    is kept, so a killed run resumes where it stopped (unless it was made
    by other weights or scales: then the folder is moved aside). Returns the
    number of files written by this rank.
    """

    def make(info, path):
        img = mmcv.imread(info['img_path'])
        if img is None:
            raise ValueError(f'image {info["img_path"]} cannot be read')
        save_npz_atomic(
            path, **multiscale_cams(model, img, info['gt_label'], scales,
                                    flip))

    made_with = dict(scales=list(scales), flip=flip, model=state_digest(model))
    return run_per_image(dataset, out_dir, '.npz', make, cams_complete,
                         'CAM files', made_with)


def score_cams(dataset, out_dir: str, metric_cfg: dict) -> dict:
    """Evaluate the CAM files of the split against its masks (all ranks
    take part; every rank gets the metrics)."""
    metric = MMENGINE_METRICS.build(metric_cfg)
    for info in rank_share_with_masks(
            dataset, 'score its CAMs against (dataset without seg_map_path)'):
        cams = load_cams(osp.join(out_dir, info['img_id'] + '.npz'))
        metric.process(None, [
            dict(
                cams=cams['high_res'],
                cam_labels=cams['keys'],
                gt_sem_seg=read_label_map(info['seg_map_path']),
                img_id=info['img_id'])
        ])
    return metric.evaluate(len(dataset))


def run_cam_stage(model, cam_cfg: dict, work_dir: str) -> dict:
    """Generate the CAMs of ``cam_cfg.dataset`` and score them.

    ``cam_cfg``: ``dataset`` (the split to write CAMs for, e.g. train_aug,
    which the later stages need), ``eval_dataset`` (the split to score, whose
    images must be in ``dataset``; default ``dataset``), ``out_dir``
    (relative to ``work_dir``), ``scales``, ``flip``, ``metric`` (a
    :class:`CAMIoUMetric` config, or None to skip scoring) and
    ``diagnostics`` (optional: ``dict(pairs=80, size=crop)``, the matching
    diagnostics of :mod:`.matching_diagnostics` on co-occurrent pairs of the
    eval split, ``variants=True`` for every inter-matching variant). The
    metrics are returned and written to ``<out_dir>_metrics.json``.
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
        metrics = score_cams(eval_set, out_dir, cam_cfg['metric'])
        diag = cam_cfg.get('diagnostics')
        if diag:
            infos = [eval_set.get_data_info(i) for i in range(len(eval_set))]
            metrics.update(
                matching_diagnostics(
                    bare,
                    co_occurrent_pairs(infos, int(diag.get('pairs', 80))),
                    int(diag['size']),
                    variants=bool(diag.get('variants', False))))
    return write_metrics(metrics, out_dir)
