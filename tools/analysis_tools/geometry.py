"""The ratios that decide how COMNet and IRN behave, measured from a CAM
config, an IRN config and a dataset (docs/benchmark.md's geometry table).

    python tools/analysis_tools/geometry.py configs/comnet/comnet_toy.py \
        configs/irn/irn_toy.py --data-root data/toy_voc
    # a dataset that is not on this machine: give its statistics
    python tools/analysis_tools/geometry.py configs/comnet/comnet_r50_voc.py \
        configs/irn/irn_r50_voc.py --image-size 375 500 --object-fraction 0.2

Every number is the mean over the images of the split (``train_aug``):
objects are class regions (all pixels of one class in one image, as CAMs and
pseudo masks see them); at the matching layer an image is rescaled as the
CAM training pipeline does on average and cropped to the crop size.
"""
import argparse
import json
import math
import os.path as osp

import numpy as np
from mmengine.config import Config
from PIL import Image


def output_stride(backbone: dict) -> int:
    """ResNet: the stem's /4 times the stages' strides."""
    return 4 * math.prod(backbone.get('strides', (1, 2, 2, 2)))


def train_resize(cfg: Config):
    """(mean long side, crop) of the CAM stage's training pipeline."""
    ds = cfg.train_dataloader.dataset
    ds = ds.get('dataset', ds)
    resize = next(t for t in ds.pipeline if t['type'] == 'RandomResize')
    lo, hi = resize.get('ratio_range', (1.0, 1.0))
    return max(resize['scale']) * (lo + hi) / 2, cfg.crop_size


def neck(cfg: Config, type_name: str) -> dict:
    necks = cfg.model.get('neck') or []
    necks = necks if isinstance(necks, list) else [necks]
    return next((n for n in necks if n['type'] == type_name), {})


def dataset_objects(root: str, split: str = 'train_aug'):
    """[(H, W, [class-region fraction, ...]), ...] of a VOC-layout split."""
    with open(osp.join(root, 'ImageSets/Segmentation', split + '.txt')) as f:
        ids = f.read().split()
    out = []
    for i in ids:
        mask = np.array(
            Image.open(osp.join(root, 'SegmentationClassAug', i + '.png')))
        h, w = mask.shape
        fracs = [
            float((mask == c).mean()) for c in np.unique(mask)
            if c not in (0, 255)
        ]
        out.append((h, w, fracs))
    return out


def geometry(cam_cfg: Config, irn_cfg: Config, images) -> dict:
    os_ = output_stride(cam_cfg.model.backbone)
    long_side, crop = train_resize(cam_cfg)
    points = (crop // os_)**2
    intra = neck(cam_cfg, 'IntraMatching')
    inter = neck(cam_cfg, 'InterMatching')
    k = intra.get('k', 8)
    group = inter.get('group_size', cam_cfg.get('group_size', 2))
    feat_cells, s4_cells, long_sides = [], [], []
    for h, w, fracs in images:
        scale = long_side / max(h, w)
        visible = min(h * scale, crop) * min(w * scale, crop)
        long_sides.append(max(h, w))
        for f in fracs:
            feat_cells.append(f * visible / os_**2)
            s4_cells.append(f * h * w / 16)
    obj4 = float(np.mean(s4_cells))
    walk_r = irn_cfg.pseudo_cfg.get('radius', 5)
    steps = irn_cfg.pseudo_cfg.get('steps', 256)
    train_r = irn_cfg.model.get('radius', 10)
    return {
        'output stride at the matching layer':
        os_,
        'feature points per image (crop)':
        points,
        'k / points (%)':
        100 * k / points,
        'inter-matching points per group':
        group * points,
        'mean object area, matching-layer cells':
        float(np.mean(feat_cells)),
        'mean object area, stride-4 cells':
        obj4,
        'IRN walk radius / object side':
        walk_r / math.sqrt(obj4),
        'IRN training radius / object side':
        train_r / math.sqrt(obj4),
        # how far the walk carries a CAM (a diffusion's spread grows with
        # the square root of the steps), in object sides
        'IRN walk reach (radius x sqrt(steps)) / object side':
        walk_r * math.sqrt(steps) / math.sqrt(obj4),
        'crop / image long side':
        crop / float(np.mean(long_sides)),
    }


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('cam_config')
    parser.add_argument('irn_config')
    parser.add_argument('--data-root', help='a VOC-layout dataset to measure')
    parser.add_argument(
        '--image-size',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='without --data-root: the typical image size')
    parser.add_argument(
        '--object-fraction',
        type=float,
        help='without --data-root: mean class-region area '
        'as a fraction of the image')
    parser.add_argument('--json', help='also write the numbers here')
    return parser.parse_args()


def main():
    args = parse_args()
    if args.data_root:
        images = dataset_objects(args.data_root)
    elif args.image_size and args.object_fraction:
        images = [(*args.image_size, [args.object_fraction])]
    else:
        raise SystemExit('give --data-root, or --image-size and '
                         '--object-fraction')
    out = geometry(
        Config.fromfile(args.cam_config), Config.fromfile(args.irn_config),
        images)
    for key, value in out.items():
        print(f'{key}: {value:.4g}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(out, f, indent=1)


if __name__ == '__main__':
    main()
