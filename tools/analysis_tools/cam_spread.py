"""How far CAMs spread: quantiles of each pixel's top CAM score (the
max-normalised CAMs of its image's classes, the value the background
threshold cuts) over the objects' pixels and over the background's,
against a VOC-layout split's masks. A CAM that covers whole objects has a
high median on them; one that peaks on parts has a low one, whatever the
mIoU at a single threshold says (docs/matching.md).

    python tools/analysis_tools/cam_spread.py \
        work_dirs/ablations/baseline/seed1/cam/cams \
        work_dirs/ablations/intra/seed1/cam/cams --data-root data/toy_voc
"""
import argparse
import json
import os.path as osp
from typing import Dict, Sequence

import numpy as np

from comnet_mm.datasets.seg_tag_dataset import read_label_map
from comnet_mm.structures.cam_maps import load_cams

QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)


def top_scores(cams: np.ndarray, label: np.ndarray):
    """(K, H, W) CAMs and an (H, W) mask -> (object pixels' top scores,
    background pixels' top scores); 255 is left out."""
    if cams.shape[1:] != label.shape:
        raise ValueError(f'CAMs of size {cams.shape[1:]} and mask of size '
                         f'{label.shape} differ')
    top = cams.max(0) if len(cams) else np.zeros(label.shape, np.float32)
    return top[(label > 0) & (label != 255)], top[label == 0]


def cam_spread(cam_dir: str,
               data_root: str,
               split: str = 'train',
               quantiles: Sequence[float] = QUANTILES) -> Dict[str, list]:
    """Quantiles of the top CAM score on object and background pixels of
    ``split``, from the ``<id>.npz`` files in ``cam_dir``."""
    list_file = osp.join(data_root, 'ImageSets/Segmentation', split + '.txt')
    with open(list_file) as f:
        ids = f.read().split()
    if not ids:
        raise ValueError(f'{list_file} lists no images')
    fg, bg = [], []
    for i in ids:
        path = osp.join(cam_dir, i + '.npz')
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: no CAM file for {i} of '
                                    f'{list_file}')
        label = read_label_map(
            osp.join(data_root, 'SegmentationClass', i + '.png'))
        f_, b_ = top_scores(load_cams(path)['high_res'], label)
        fg.append(f_)
        bg.append(b_)
    fg, bg = np.concatenate(fg), np.concatenate(bg)
    return dict(
        quantiles=list(quantiles),
        objects=[round(float(v), 4) for v in np.quantile(fg, quantiles)],
        background=[round(float(v), 4) for v in np.quantile(bg, quantiles)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('cam_dirs', nargs='+')
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--split', default='train')
    args = parser.parse_args()
    out = {d: cam_spread(d, args.data_root, args.split) for d in args.cam_dirs}
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
