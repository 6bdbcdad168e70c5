"""How far CAMs spread: quantiles of each pixel's top CAM score (the
max-normalised CAMs of its image's classes, the value the background
threshold cuts) over the objects' pixels and over the background's,
against the masks of the split a CAM config scores (``cam_cfg.eval_dataset``,
else ``cam_cfg.dataset``: VOC, COCO or the toy, as the CAM stage reads
them). A CAM that covers whole objects has a high median on them; one that
peaks on parts has a low one, whatever the mIoU at a single threshold says
(docs/matching.md).

    python tools/analysis_tools/cam_spread.py \
        work_dirs/ablations/baseline/seed1/cam/config.py \
        work_dirs/ablations/baseline/seed1/cam/cams \
        work_dirs/ablations/intra/seed1/cam/cams
"""
import argparse
import json
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

import comnet_mm  # noqa: F401  (registers our datasets)
from comnet_mm.datasets.seg_tag_dataset import read_label_map
from comnet_mm.structures.cam_maps import load_cams
from comnet_mm.utils.per_image import build_split

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def top_scores(cams: np.ndarray, label: np.ndarray):
    """(K, H, W) CAMs and an (H, W) mask -> (object pixels' top scores,
    background pixels' top scores); 255 is left out."""
    if cams.shape[1:] != label.shape:
        raise ValueError(f'CAMs of size {cams.shape[1:]} and mask of size '
                         f'{label.shape} differ')
    top = cams.max(0) if len(cams) else np.zeros(label.shape, np.float32)
    return top[(label > 0) & (label != 255)], top[label == 0]


def split_infos(cfg: Config) -> List[dict]:
    """``img_id``, ``img_path`` and ``seg_map_path`` of every image of the
    split the CAM config scores, built as the CAM stage builds it."""
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    cam_cfg = cfg.cam_cfg
    dataset = build_split(cam_cfg.get('eval_dataset') or cam_cfg.dataset)
    infos = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        if not info.get('seg_map_path'):
            raise ValueError(f'{info["img_id"]} has no mask (a dataset '
                             'without seg_map_path)')
        infos.append(
            {k: info[k]
             for k in ('img_id', 'img_path', 'seg_map_path')})
    if not infos:
        raise ValueError('the CAM config\'s split has no images')
    return infos


def cam_spread(cam_dir: str,
               infos: Sequence[dict],
               quantiles: Sequence[float] = QUANTILES) -> Dict[str, list]:
    """Quantiles of the top CAM score on object and background pixels of
    the images ``infos`` (``img_id``, ``seg_map_path``), from the
    ``<img_id>.npz`` files in ``cam_dir``."""
    fg, bg = [], []
    for info in infos:
        path = osp.join(cam_dir, info['img_id'] + '.npz')
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{path}: no CAM file for {info["img_id"]}')
        f_, b_ = top_scores(
            load_cams(path)['high_res'], read_label_map(info['seg_map_path']))
        fg.append(f_)
        bg.append(b_)
    fg, bg = np.concatenate(fg), np.concatenate(bg)
    return dict(
        quantiles=list(quantiles),
        objects=[round(float(v), 4) for v in np.quantile(fg, quantiles)],
        background=[round(float(v), 4) for v in np.quantile(bg, quantiles)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a CAM config (its cam_cfg split)')
    parser.add_argument('cam_dirs', nargs='+')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    infos = split_infos(cfg)
    out = {d: cam_spread(d, infos) for d in args.cam_dirs}
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
