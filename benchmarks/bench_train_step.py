"""Train-step time of COMNet vs the baseline CAM network on the same batch.

    python benchmarks/bench_train_step.py [--crop 256] [--groups 2]
        [--repeats 3] [--device cpu]

Builds configs/cam/cam_r50_voc.py and configs/comnet/comnet_r50_voc.py
(random init: no download), feeds both the same batch of co-occurrent pairs
and times forward + backward + SGD step. Goal: COMNet / baseline <= 1.10 at
R50 with 512 crops on a GPU; on a 2-core CPU we measure at a smaller crop.
Needs the OpenMMLab stack. Saves benchmarks/results/train_step_<device>.json.
"""
import argparse
import os.path as osp
import statistics
import time

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

import comnet_mm  # noqa: F401
from _load import ROOT, device_info, save


def build(config, device):
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.model.backbone.init_cfg = None
    init_default_scope(cfg.default_scope)
    from mmpretrain.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(device).train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def batch(groups, n, crop, num_classes, device):
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for i in range(groups):
        shared = [i % num_classes]
        for pos in range(n):
            inputs.append(
                torch.randint(
                    0, 255, (3, crop, crop), generator=g, dtype=torch.uint8))
            s = DataSample().set_gt_label(shared +
                                          [(i + pos + 1) % num_classes])
            s.set_metainfo(
                dict(group_size=n, group_pos=pos, shared_labels=shared))
            samples.append(s)
    return dict(inputs=inputs, data_samples=samples)


def time_steps(model, optim, data, repeats, device):
    times = []
    for r in range(repeats + 1):
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        t = time.perf_counter()
        model.train_step(data, optim)
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        if r:
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--crop', type=int, default=256)
    parser.add_argument('--groups', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args()
    data = batch(args.groups, 2, args.crop, 20, args.device)
    result = {}
    for name, config in (('baseline', 'configs/cam/cam_r50_voc.py'),
                         ('comnet', 'configs/comnet/comnet_r50_voc.py')):
        model, optim = build(config, args.device)
        result[name + '_s'] = round(
            time_steps(model, optim, data, args.repeats, args.device), 3)
        print(name, result[name + '_s'], flush=True)
    result['ratio'] = round(result['comnet_s'] / result['baseline_s'], 3)
    save(
        f'train_step_{args.device.split(":")[0]}',
        dict(
            what='R50 OS16 train step (fwd + bwd + SGD), same batch',
            crop=args.crop,
            images=2 * args.groups,
            goal_ratio=1.10,
            env=device_info(args.device),
            **result))


if __name__ == '__main__':
    main()
