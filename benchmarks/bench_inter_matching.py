"""Inter-matching solve time, matrix-free Lanczos vs dense eigh, N = 2..5.

    python benchmarks/bench_inter_matching.py [--device cuda] [--size 32]
        [--channels 2048] [--repeats 3]

Per group of N images of size x size x channels (paper: 32 x 32 x 2048, R50
at a 512 crop; Table I reports 0.13 s for N = 2 on a Titan X), times the whole
mask computation (normalise, solve, orient) with each solver and reports the
share of positions where the two masks have the same sign. Features are
ReLU'd Gaussian noise with a planted co-occurrent object (so the mask has a
meaning), unless --features names an .npy file of real (N, c, h, w) features.
Needs torch only. Saves benchmarks/results/inter_matching_<device>.json.
"""
import argparse
import time

import numpy as np
import torch

from _load import device_info, load, save

inter = load('models/necks/inter_matching.py')


def planted_features(n, c, s, seed):
    g = torch.Generator().manual_seed(seed)
    feats = torch.randn(n, c, s, s, generator=g).clamp_min(0)
    obj = torch.randn(c, generator=g).abs() * 2
    yy, xx = torch.meshgrid(torch.arange(s), torch.arange(s), indexing='ij')
    for i in range(n):
        cy, cx = torch.randint(s // 4, 3 * s // 4, (2, ), generator=g)
        inside = (yy - cy)**2 + (xx - cx)**2 < (s // 4)**2
        feats[i][:, inside] += obj[:, None]
    return feats


def timed(fn, device, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        t = time.perf_counter()
        out = fn()
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return min(times), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--size', type=int, default=32)
    parser.add_argument('--channels', type=int, default=2048)
    parser.add_argument('--groups', type=int, nargs='+', default=[2, 3, 4, 5])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--features', help='.npy of (N, c, h, w) features')
    args = parser.parse_args()
    rows = []
    for n in args.groups:
        if args.features:
            feats = torch.from_numpy(np.load(args.features))[:n]
        else:
            feats = planted_features(n, args.channels, args.size, seed=n)
        feats = feats.to(args.device)
        row = dict(N=n, points=int(feats[0, 0].numel() * n))
        masks = {}
        for solver in ('lanczos', 'dense'):
            t, m = timed(lambda: inter.co_occurrent_mask(feats, solver),
                         args.device, args.repeats)
            row[f'{solver}_s'] = round(t, 4)
            masks[solver] = m
        row['speedup'] = round(row['dense_s'] / row['lanczos_s'], 1)
        row['sign_agreement'] = float(
            ((masks['lanczos'] > 0) == (masks['dense'] > 0)).float().mean())
        rows.append(row)
        print(row, flush=True)
    save(
        f'inter_matching_{args.device.split(":")[0]}',
        dict(
            what='inter-matching mask per group',
            size=args.size,
            channels=args.channels,
            features=args.features or 'planted',
            env=device_info(args.device),
            rows=rows))


if __name__ == '__main__':
    main()
