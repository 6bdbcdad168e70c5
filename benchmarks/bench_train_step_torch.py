"""Train-step time of COMNet vs the baseline, torch and torchvision only.

    python benchmarks/bench_train_step_torch.py [--device cuda] [--crop 512]
        [--groups 8] [--repeats 10]

``bench_train_step.py`` builds the two VOC configs, which needs OpenMMLab;
a GPU machine without it runs this instead: the same network built from
torchvision's ResNet-50 (the architecture of the configs' mmpretrain
``ResNet``, style 'pytorch'), set up as ``configs/_base_/models/cam_r50.py``
(strides 1, 2, 2, 1 without dilation: output stride 16; stem to layer2
frozen; every BN frozen and in eval mode; a bias-free 1x1 classifier after
global average pooling, multi-label soft-margin loss), and COMNet as
``configs/comnet/comnet_r50_voc.py`` (our InterMatching, alpha 1.5, pairs;
our IntraMatching, 2048 -> 512, k 8; head on 512 channels), with
inter-matching's ``--solver`` (the configs' 'batched', or 'lanczos', the
per-group solver). Random init, the
same batch of co-occurrent pairs for both, SGD at lr 0 (the same work as
any lr, and every timed step solves the same groups: a solve's restarts
depend on the features); times normalise + forward +
backward + step (median). Goal: COMNet / baseline <= 1.10 at a 512 crop.
Saves benchmarks/results/train_step_torch_<device>_<solver>.json.
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

from _load import device_info, load, save

inter = load('models/necks/inter_matching.py')
intra = load('models/necks/intra_matching.py')

MEAN = (123.675, 116.28, 103.53)
STD = (58.395, 57.12, 57.375)


class CAMNet(nn.Module):
    """ResNet-50 OS16 (frozen stem..layer2, frozen BN) [+ necks] + head."""

    def __init__(self, necks=(), num_classes: int = 20, solver='batched'):
        super().__init__()
        r = torchvision.models.resnet50()
        r.layer4[0].conv2.stride = (1, 1)  # strides (1, 2, 2, 1): OS16
        r.layer4[0].downsample[0].stride = (1, 1)
        self.backbone = nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool,
                                      r.layer1, r.layer2, r.layer3, r.layer4)
        for m in self.backbone[:6].parameters():
            m.requires_grad_(False)
        for m in self.backbone.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.requires_grad_(False)
        self.necks = nn.ModuleList()
        c = 2048
        if 'inter' in necks:
            self.necks.append(
                inter.InterMatching(
                    alpha=1.5,
                    group_size=2,
                    match_at_inference=True,
                    solver=solver))
        if 'intra' in necks:
            self.necks.append(
                intra.IntraMatching(2048, mlp_channels=[512], k=8))
            c = 512
        self.head = nn.Conv2d(c, num_classes, 1, bias=False)

    def train(self, mode=True):
        super().train(mode)
        for m in self.backbone.modules():  # norm_eval=True
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        for m in self.necks:  # inter-matching: grouped by group_size
            if isinstance(m, inter.InterMatching):
                m.eval()
        return self

    def forward(self, x):
        feats = (self.backbone(x), )
        for neck in self.necks:
            feats = neck(feats)
        pooled = F.adaptive_avg_pool2d(feats[-1], 1)
        return self.head(pooled).flatten(1)


def step(model, optim, images, labels):
    mean = torch.tensor(MEAN, device=images.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=images.device).view(1, 3, 1, 1)
    x = (images.float() - mean) / std
    loss = F.multilabel_soft_margin_loss(model(x), labels)
    if not torch.isfinite(loss):
        raise FloatingPointError('the loss is not finite: timings would not '
                                 'be those of a training step')
    optim.zero_grad()
    loss.backward()
    optim.step()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--crop', type=int, default=512)
    parser.add_argument('--groups', type=int, default=8)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument(
        '--alone',
        nargs='*',
        default=[],
        choices=['inter', 'intra'],
        help='also time the baseline with this one module')
    parser.add_argument(
        '--solver',
        default='batched',
        choices=['batched', 'lanczos'],
        help="inter-matching's solver (the R50 configs': batched)")
    args = parser.parse_args()
    dev = args.device
    g = torch.Generator().manual_seed(0)
    n = 2 * args.groups
    images = torch.randint(
        0, 255, (n, 3, args.crop, args.crop), generator=g,
        dtype=torch.uint8).to(dev)
    labels = torch.zeros(n, 20)
    for i in range(n):  # pair i // 2 shares class (i // 2) % 20
        labels[i, (i // 2) % 20] = 1
        labels[i, (i // 2 + i % 2 + 1) % 20] = 1
    labels = labels.to(dev)
    result = {}
    variants = dict(
        baseline=(),
        comnet=('inter', 'intra'),
        inter=('inter', ),
        intra=('intra', ))
    for name in ['baseline', 'comnet'] + args.alone:
        torch.manual_seed(0)
        model = CAMNet(variants[name], solver=args.solver).to(dev).train()
        optim = torch.optim.SGD(
            [p for p in model.parameters() if p.requires_grad],
            lr=0.0,  # same arithmetic; the features stay those of step 1,
            momentum=0.9,  # so every timed step solves the same groups
            weight_decay=1e-4)
        times = []
        for r in range(args.repeats + 2):  # two warm-up steps
            if dev.startswith('cuda'):
                torch.cuda.synchronize()
            t = time.perf_counter()
            step(model, optim, images, labels)
            if dev.startswith('cuda'):
                torch.cuda.synchronize()
            if r >= 2:
                times.append(time.perf_counter() - t)
        result[name + '_s'] = round(statistics.median(times), 4)
        for m in model.necks:  # a group without a mask cost no solve
            if isinstance(m, inter.InterMatching):
                result[name + '_groups_solved'] = sum(mask is not None
                                                      for mask in m.last_masks)
        print(name, result[name + '_s'], flush=True)
    for name in ['comnet'] + args.alone:
        key = 'ratio' if name == 'comnet' else name + '_ratio'
        result[key] = round(result[name + '_s'] / result['baseline_s'], 3)
    save(
        f'train_step_torch_{dev.split(":")[0]}_{args.solver}',
        dict(
            what='R50 OS16 train step (normalise + fwd + bwd + SGD), '
            'torchvision ResNet-50, same batch',
            crop=args.crop,
            images=n,
            goal_ratio=1.10,
            solver=args.solver,
            env=device_info(dev),
            **result))


if __name__ == '__main__':
    main()
