"""Pseudo masks: boundary map (image + flip) -> random walk -> labels (IRN
``step/make_sem_seg_labels.py``), and their scores."""
import hashlib
import json
import os
import os.path as osp
from typing import Optional, Sequence

import mmcv
import numpy as np
import torch
from mmengine.dist import all_reduce, get_dist_info
from mmseg.evaluation.metrics import IoUMetric

from comnet_mm.datasets.seg_tag_dataset import read_label_map
from comnet_mm.evaluation.cam_metric import DEFAULT_SWEEP
from comnet_mm.models.inputs import model_inputs
from comnet_mm.structures.cam_maps import load_cams
from comnet_mm.utils.per_image import (build_split, png_complete,
                                       rank_share_with_masks, read_made_with,
                                       run_per_image, save_png_atomic,
                                       stage_model, state_digest,
                                       write_metrics, write_text_atomic)
from .random_walk import random_walk, walk_to_labels

#: Background thresholds ``'walk_best'`` chooses from: the CAM stage's sweep
#: (``CAMIoUMetric``), 0.05..0.60.
WALK_SWEEP = DEFAULT_SWEEP


def walk_image(model, info: dict, cam_dir: str, beta: float, steps: int,
               radius: int):
    """The random walk of one image's stride-4 CAMs over its boundary map
    (image + flip, through the model's own ``data_preprocessor``).

    Returns ``(walked, keys, (H, W))``: (K, h, w) walked maps (``None`` for
    an image without classes), (K,) class indices, the image's size.
    """
    cams = load_cams(osp.join(cam_dir, info['img_id'] + '.npz'))
    img = mmcv.imread(info['img_path'])
    if img is None:
        raise ValueError(f'image {info["img_path"]} cannot be read')
    keys = torch.from_numpy(cams['keys'])
    if not len(keys):
        return None, keys, img.shape[:2]
    boundary = model.boundary_map(model_inputs(model, [img]))
    cam = torch.from_numpy(cams['cam']).to(boundary)
    if cam.shape[1:] != boundary.shape:
        raise ValueError(f'stride-4 CAMs of {info["img_id"]} are '
                         f'{tuple(cam.shape[1:])}, the boundary map is '
                         f'{tuple(boundary.shape)}')
    return random_walk(cam, boundary, beta, steps, radius), keys, img.shape[:2]


@torch.no_grad()
def walk_threshold_sweep(model,
                         dataset,
                         cam_dir: str,
                         beta: float = 10.0,
                         steps: int = 256,
                         radius: int = 5,
                         thresholds: Sequence[float] = WALK_SWEEP,
                         keep: Optional[dict] = None) -> dict:
    """``{threshold: mIoU (%)}`` of the walk's labels against ``dataset``'s
    masks at each background threshold; every rank walks its share and the
    areas are summed over ranks. Each image is walked once for all of them
    (the walk does not depend on the background, only the argmax does).
    ``keep``: a dict that receives ``{img_id: walk_image's result}`` for
    this rank's images, for the pseudo masks to reuse (about 0.1 MB an
    image at VOC's size)."""
    n = len(dataset.metainfo['classes']) + 1
    areas = torch.zeros(len(thresholds), 4, n, dtype=torch.float64)
    for info in rank_share_with_masks(dataset,
                                      "choose the walk's background on"):
        gt = torch.from_numpy(
            read_label_map(info['seg_map_path']).astype(np.int64))
        walked, keys, size = walk_image(model, info, cam_dir, beta, steps,
                                        radius)
        if keep is not None:
            keep[info['img_id']] = walked, keys, size
        for j, thr in enumerate(thresholds):
            pred = (
                torch.zeros(size, dtype=torch.long) if walked is None else
                walk_to_labels(walked, keys, size, thr).cpu())
            areas[j] += torch.stack([
                a.to(torch.float64)
                for a in IoUMetric.intersect_and_union(pred, gt, n, 255)
            ])
    all_reduce(areas)
    out = {}
    for thr, (inter, union, pred_area, label_area) in zip(thresholds, areas):
        iou = IoUMetric.total_area_to_metrics(inter, union, pred_area,
                                              label_area, ['mIoU'])['IoU']
        out[float(thr)] = float(100 * np.nanmean(np.asarray(iou)))
    return out


@torch.no_grad()
def generate_pseudo_labels(model,
                           dataset,
                           cam_dir: str,
                           out_dir: str,
                           beta: float = 10.0,
                           steps: int = 256,
                           radius: int = 5,
                           bg_thr: float = 0.25,
                           walked: Optional[dict] = None) -> int:
    """Write ``<out_dir>/<img_id>.png`` (0 bg, c + 1 class c) for this rank's
    share of ``dataset`` from ``<cam_dir>/<img_id>.npz`` (atomic, resumable;
    masks made with other walk settings, CAMs or boundary weights are moved
    aside, not reused). ``walked``: walks already made with these settings
    (:func:`walk_threshold_sweep`'s ``keep``), used (and dropped) instead
    of walking those images again.
    """
    walked = {} if walked is None else walked

    def make(info, path):
        done = walked.pop(info['img_id'], None)
        walked_map, keys, size = done or walk_image(model, info, cam_dir, beta,
                                                    steps, radius)
        if walked_map is None:
            labels = torch.zeros(size, dtype=torch.long)
        else:
            labels = walk_to_labels(walked_map, keys, size, bg_thr)
        save_png_atomic(path, labels.cpu().numpy())

    made_with = dict(
        beta=beta,
        steps=steps,
        radius=radius,
        bg_thr=bg_thr,
        cam_dir=osp.abspath(cam_dir),
        cams=read_made_with(cam_dir),
        model=state_digest(model))
    return run_per_image(dataset, out_dir, '.png', make, png_complete,
                         'pseudo masks', made_with)


def score_label_maps(dataset, label_dir: str, class_names) -> dict:
    """mIoU of ``<label_dir>/<img_id>.png`` against the dataset's masks with
    mmseg's ``IoUMetric`` (all ranks take part)."""
    metric = IoUMetric(ignore_index=255)
    metric.dataset_meta = dict(classes=list(class_names))
    for info in rank_share_with_masks(dataset,
                                      'score its pseudo mask against'):
        path = osp.join(label_dir, info['img_id'] + '.png')
        if not osp.isfile(path):
            raise FileNotFoundError(f'pseudo mask not found: {path}')
        pred = torch.from_numpy(read_label_map(path).astype(np.int64))
        gt = torch.from_numpy(
            read_label_map(info['seg_map_path']).astype(np.int64))
        metric.process(None, [
            dict(
                pred_sem_seg=dict(data=pred[None]),
                gt_sem_seg=dict(data=gt[None]))
        ])
    return metric.evaluate(len(dataset))


def cam_threshold(section: dict,
                  key: str,
                  default: float,
                  name: str,
                  rules: Sequence[str] = ('cam_best', )) -> float:
    """``section[key]`` (``default`` when absent) as a number, or, with
    ``'cam_best'``, the CAM stage's best threshold of its sweep on ``train``
    (``cam/best_thr`` of ``<section.cam_dir>_metrics.json``, which the CAM
    stage writes beside its CAMs). ``name`` (e.g. ``'seed_cfg'``) is for
    the errors. The rule can only pick a value of the CAM stage's sweep
    (0.05..0.60). ``rules`` are the string values the caller takes (for
    the error)."""
    value = section.get(key, default)
    if not isinstance(value, str):
        return float(value)
    if value != 'cam_best':
        raise ValueError(f'{name}.{key} must be a number or one of '
                         f'{list(rules)}, not {value!r}')
    path = section['cam_dir'].rstrip('/') + '_metrics.json'
    if not osp.isfile(path):
        raise FileNotFoundError(
            f"{name}.{key}='cam_best' reads the CAM stage's metrics, "
            f'but {path} does not exist (run the CAM stage with an '
            f'eval_dataset, or give {key} as a number)')
    with open(path, encoding='utf-8') as f:
        metrics = json.load(f)
    if 'cam/best_thr' not in metrics:
        raise KeyError(f"{name}.{key}='cam_best': {path} has no "
                       "'cam/best_thr'")
    return float(metrics['cam/best_thr'])


def walk_sweep_path(out_dir: str) -> str:
    """Where the stage records its ``'walk_best'`` sweep: beside the pseudo
    masks' folder, as ``<out_dir>_walk_sweep.json``."""
    return out_dir.rstrip('/') + '_walk_sweep.json'


def walk_sweep_inputs(pseudo_cfg: dict, model, dataset, thresholds) -> dict:
    """What a ``'walk_best'`` sweep depends on (JSON-able): the walk's
    settings and thresholds, the CAMs (their folder and record), the
    boundary weights and the images and masks it is scored on."""
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    names = '\n'.join(f'{d["img_id"]} {d.get("seg_map_path")}' for d in infos)
    return dict(
        beta=pseudo_cfg.get('beta', 10.0),
        steps=pseudo_cfg.get('steps', 256),
        radius=pseudo_cfg.get('radius', 5),
        thresholds=[float(t) for t in thresholds],
        cam_dir=osp.abspath(pseudo_cfg['cam_dir']),
        cams=read_made_with(pseudo_cfg['cam_dir']),
        model=state_digest(model),
        images=len(infos),
        masks=hashlib.sha1(names.encode()).hexdigest()[:12])


def recorded_walk_sweep(path: str, inputs: dict) -> Optional[dict]:
    """The sweep recorded at ``path`` if it was made from ``inputs``
    (:func:`walk_sweep_inputs`), else None."""
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        record = json.load(f)
    if record.get('made_with') != json.loads(json.dumps(inputs)):
        return None
    return {float(t): v for t, v in record['mIoU'].items()}


def walk_bg_threshold(pseudo_cfg: dict,
                      model=None,
                      record: Optional[str] = None,
                      keep: Optional[dict] = None,
                      save: bool = True) -> float:
    """The walk's background score: ``pseudo_cfg.bg_thr`` (default IRN's
    0.25), a number, ``'cam_best'`` (:func:`cam_threshold`) or
    ``'walk_best'``: the best of the walk's own sweep on
    ``pseudo_cfg.eval_dataset`` (``train``; :func:`walk_threshold_sweep`
    over ``pseudo_cfg.bg_sweep``, default :data:`WALK_SWEEP`; the lowest of
    equals), which needs the boundary ``model``. ``record``: a JSON file
    (:func:`walk_sweep_path`) holding a sweep made from the same inputs is
    read instead of walking (a resumed stage, a diagnostics run on the
    stage's folder); a new sweep is written there (rank 0, atomically)
    unless ``save`` is False.
    ``keep``: see :func:`walk_threshold_sweep`.

    Why a rule: the walk keeps the CAMs' scale (each class divided by its
    maximum), so its best background follows the CAMs' spread and the
    boundary map. With seeds at IRN's fg 0.30 it equalled the CAM stage's
    best threshold on every run swept; with seeds at 0.15 it is above it by
    0.05-0.10 and 'cam_best' costs 1.4-5.8 points (docs/matching.md).
    """
    if pseudo_cfg.get('bg_thr') != 'walk_best':
        return cam_threshold(pseudo_cfg, 'bg_thr', 0.25, 'pseudo_cfg',
                             ('cam_best', 'walk_best'))
    if model is None or not pseudo_cfg.get('eval_dataset'):
        raise ValueError("pseudo_cfg.bg_thr='walk_best' chooses the walk's "
                         'background on pseudo_cfg.eval_dataset with the '
                         'boundary model: give both, or bg_thr as a number')
    dataset = build_split(pseudo_cfg['eval_dataset'])
    thresholds = pseudo_cfg.get('bg_sweep', WALK_SWEEP)
    inputs = walk_sweep_inputs(pseudo_cfg, model, dataset, thresholds)
    sweep = recorded_walk_sweep(record, inputs) if record else None
    if sweep is None:
        sweep = walk_threshold_sweep(model, dataset, pseudo_cfg['cam_dir'],
                                     inputs['beta'], inputs['steps'],
                                     inputs['radius'], thresholds, keep)
        if record and save and get_dist_info()[0] == 0:
            os.makedirs(osp.dirname(osp.abspath(record)), exist_ok=True)
            write_text_atomic(
                record,
                json.dumps(
                    dict(
                        made_with=inputs,
                        mIoU={str(t): v
                              for t, v in sweep.items()}),
                    indent=1))
    return max(sorted(sweep), key=lambda t: sweep[t])


def run_pseudo_label_stage(model, pseudo_cfg: dict, work_dir: str) -> dict:
    """Pseudo masks for ``pseudo_cfg.dataset`` and, if ``eval_dataset`` is
    given, their mIoU and the walk's background threshold (returned and
    written to ``<out_dir>_metrics.json``).
    ``out_dir`` is relative to ``work_dir``; ``cam_dir`` is taken as given
    (the CAM stage's folder). With ``'walk_best'`` the images the sweep
    walked are not walked again, and the sweep is recorded beside the masks
    (:func:`walk_sweep_path`), so a resumed stage does not sweep again."""
    dataset = build_split(pseudo_cfg['dataset'])
    out_dir = osp.join(work_dir, pseudo_cfg.get('out_dir', 'pseudo_masks'))
    with stage_model(model) as bare:
        walked = {}
        bg_thr = walk_bg_threshold(pseudo_cfg, bare, walk_sweep_path(out_dir),
                                   walked)
        generate_pseudo_labels(bare, dataset, pseudo_cfg['cam_dir'], out_dir,
                               pseudo_cfg.get('beta', 10.0),
                               pseudo_cfg.get('steps', 256),
                               pseudo_cfg.get('radius', 5), bg_thr, walked)
        walked.clear()
    if not pseudo_cfg.get('eval_dataset'):
        return {}
    eval_set = build_split(pseudo_cfg['eval_dataset'])
    names = ['background'] + list(eval_set.metainfo['classes'])
    metrics = score_label_maps(eval_set, out_dir, names)
    return write_metrics(dict(metrics, bg_thr=bg_thr), out_dir)
