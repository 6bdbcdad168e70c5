"""CAM generation throughput (images/s), multi-scale (1.0, 0.5, 1.5, 2.0) +
flip, for a config's model with random weights.

    python benchmarks/bench_cam_generation.py [--configs ...] [--images 4]
        [--size 375 500] [--device cpu]

Needs the OpenMMLab stack. Saves
benchmarks/results/cam_generation_<device>.json.
"""
import argparse
import os.path as osp
import time

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import comnet_mm  # noqa: F401
from comnet_mm.cams import multiscale_cams
from _load import ROOT, device_info, save


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--configs',
        nargs='+',
        default=[
            'configs/cam/cam_toy.py', 'configs/comnet/comnet_toy.py',
            'configs/cam/cam_r50_voc.py', 'configs/comnet/comnet_r50_voc.py'
        ])
    parser.add_argument('--images', type=int, default=4)
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=[375, 500],
        help='H W of the R50 images (toy: 128 x 160)')
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args()
    rows = []
    for config in args.configs:
        cfg = Config.fromfile(osp.join(ROOT, config))
        cfg.model.backbone.init_cfg = None
        init_default_scope(cfg.default_scope)
        from mmpretrain.registry import MODELS
        model = MODELS.build(cfg.model).to(args.device).eval()
        h, w = (128, 160) if 'toy' in config else args.size
        rng = np.random.default_rng(0)
        imgs = [
            rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
            for _ in range(args.images + 1)
        ]
        multiscale_cams(model, imgs[0], [0, 1])  # warm-up (kernels, shapes)
        if args.device.startswith('cuda'):
            torch.cuda.synchronize()
        t = time.perf_counter()
        for img in imgs[1:]:
            multiscale_cams(model, img, [0, 1])
        if args.device.startswith('cuda'):
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - t
        rows.append(
            dict(
                config=config,
                image=[h, w],
                images_per_s=round(args.images / elapsed, 3)))
        print(rows[-1], flush=True)
    save(
        f'cam_generation_{args.device.split(":")[0]}',
        dict(
            what='multi-scale (1.0, 0.5, 1.5, 2.0) + flip CAMs, 2 classes',
            env=device_info(args.device),
            rows=rows))


if __name__ == '__main__':
    main()
