"""Why the random walk gains or loses points: seeds, boundary maps and the
walk's background threshold, measured against the masks of the IRN
config's ``pseudo_cfg.eval_dataset`` (``train``; never ``val``).

    python tools/analysis_tools/irn_diagnostics.py IRN_CONFIG IRN_CKPT \
        [--cfg-options pseudo_cfg.steps=64 diag_out=diag.json \
         "diag_steps=[32,64,128]" "diag_thresholds=[0.02,0.05]" ...]

Prints and writes (``diag_out``): seed foreground / background precision and
recall, the share of unsure seed pixels; the boundary map's mean on the
masks' edges (stride-4 cells next to another label) and off them, and how
many edge cells it marks; the CAMs' mIoU at a grid of thresholds
(``diag_thresholds``) and the walk's mIoU for each background threshold,
for the config's number of steps or, with ``diag_steps``, for each of those
(the boundary map is computed once per image for all of them). The
config's own background (``pseudo_cfg.bg_thr``, resolved when it is a
rule: ``'cam_best'`` or ``'walk_best'``, the latter read from the stage's
``<out_dir>_walk_sweep.json`` when it was made from the same inputs) is
always among the thresholds and reported as ``walk bg threshold``.
"""
import json
import os.path as osp

import mmcv
import numpy as np
import torch

import comnet_mm  # noqa: F401  (registers our modules, allows checkpoints)
from comnet_mm.datasets.seg_tag_dataset import read_label_map
from comnet_mm.engine import stage_tool_setup
from comnet_mm.irn import diagnostics as diag
from comnet_mm.irn.pseudo_labels import walk_bg_threshold, walk_sweep_path
from comnet_mm.irn.random_walk import random_walk
from comnet_mm.models.inputs import model_inputs
from comnet_mm.structures import labels_from_scores, load_cams
from comnet_mm.utils.per_image import build_split

THRESHOLDS = (0.02, 0.03, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)


def main():
    cfg, model = stage_tool_setup(
        __doc__.split('\n')[0], 'pseudo_cfg', 'boundary_map')
    pcfg = cfg.pseudo_cfg
    seed_dir = cfg.seed_cfg['out_dir']
    dataset = build_split(pcfg['eval_dataset'])
    n = len(dataset.metainfo['classes']) + 1
    # 'walk_best': the stage's recorded sweep when it matches (no walk)
    record = walk_sweep_path(
        osp.join(cfg.work_dir, pcfg.get('out_dir', 'pseudo_masks')))
    config_thr = walk_bg_threshold(pcfg, model, record, save=False)
    thresholds = tuple(
        sorted(set(cfg.get('diag_thresholds', THRESHOLDS)) | {config_thr}))
    steps = tuple(cfg.get('diag_steps', [pcfg.get('steps', 256)]))
    seeds, bounds = {}, {}
    walk_iou = {s: [diag.MeanIoU(n) for _ in thresholds] for s in steps}
    cam_iou = [diag.MeanIoU(n) for _ in thresholds]
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        gt = read_label_map(info['seg_map_path']).astype(np.int64)
        cams = load_cams(osp.join(pcfg['cam_dir'], info['img_id'] + '.npz'))
        seed_path = osp.join(seed_dir, info['img_id'] + '.png')
        if osp.isfile(seed_path):
            for k, v in diag.seed_counts(read_label_map(seed_path),
                                         gt).items():
                seeds[k] = seeds.get(k, 0) + v
        img = mmcv.imread(info['img_path'])
        with torch.no_grad():
            boundary = model.boundary_map(model_inputs(model, [img]))
        edges = diag.edges_at_stride4(gt, boundary.shape)
        for k, v in diag.boundary_counts(boundary.cpu().numpy(),
                                         edges).items():
            bounds[k] = bounds.get(k, 0) + v
        keys = torch.from_numpy(cams['keys'])
        high = torch.from_numpy(cams['high_res'])
        for j, t in enumerate(thresholds):
            cam_iou[j].add(labels_from_scores(high, keys, t).numpy(), gt)
        for n_steps in steps:
            if len(keys):
                walked = random_walk(
                    torch.from_numpy(cams['cam']).to(boundary), boundary,
                    pcfg.get('beta', 10.0), n_steps, pcfg.get('radius', 5))
                labels = diag.sweep_labels(walked.cpu(), keys, gt.shape,
                                           thresholds)
            else:
                labels = [np.zeros(gt.shape, np.int64)] * len(thresholds)
            for j, lab in enumerate(labels):
                walk_iou[n_steps][j].add(lab, gt)
    out = {'images': len(dataset), 'walk bg threshold': config_thr}
    if seeds:
        out.update(diag.seed_summary(seeds))
    out.update(diag.boundary_summary(bounds))
    out['CAM mIoU by bg threshold'] = {
        str(t): m.value()
        for t, m in zip(thresholds, cam_iou)
    }
    for n_steps, ious in walk_iou.items():
        key = 'walk mIoU by bg threshold' + (f' ({n_steps} steps)'
                                             if 'diag_steps' in cfg else '')
        out[key] = {str(t): m.value() for t, m in zip(thresholds, ious)}
    text = json.dumps(out, indent=1)
    print(text)
    if cfg.get('diag_out'):
        with open(cfg.diag_out, 'w') as f:
            f.write(text)


if __name__ == '__main__':
    main()
