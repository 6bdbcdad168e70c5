"""Random walk per image: sparse (ours) vs IRN's dense squaring.

    python benchmarks/bench_random_walk.py [--height 375] [--width 500]
        [--classes 3] [--device cpu] [--skip-dense]

At the stride-4 size of a H x W image (500 x 375 -> 125 x 94 = 11,750
pixels), with a synthetic boundary map and K class maps, runs each method in
its own process and reports time, peak memory (max RSS growth on CPU, peak
allocated on CUDA) and whether the two give the same labels and maps. Needs
torch only. Saves benchmarks/results/random_walk_<device>.json.
"""
import argparse
import json
import math
import resource
import subprocess
import sys
import time

import torch

from _load import device_info, load, save

rw = load('irn/random_walk.py')


def inputs(h, w, k, device):
    g = torch.Generator().manual_seed(0)
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    # boundaries of a few ellipses plus noise
    b = torch.rand(h, w, generator=g) * 0.2
    cams = torch.zeros(k, h, w)
    for i in range(k):
        cy, cx = h * (i + 1) / (k + 1), w * (i + 1) / (k + 1)
        r = ((yy - cy)**2 / (0.3 * h)**2 + (xx - cx)**2 / (0.25 * w)**2)
        b = torch.maximum(b, torch.exp(-((r - 1) / 0.08)**2))
        cams[i] = torch.exp(-r * 4)
    return cams.to(device), b.to(device)


def child(args):
    """Run one method and print a JSON line (time, peak memory, result)."""
    h, w = math.ceil(args.height / 4), math.ceil(args.width / 4)
    cams, b = inputs(h, w, args.classes, args.device)
    cuda = args.device.startswith('cuda')
    walk = rw.random_walk if args.child == 'sparse' else rw.dense_random_walk
    if cuda:  # CUDA context, cuSPARSE/cuBLAS handles: not the method's time
        walk(cams, b)
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    out = walk(cams, b)
    if cuda:
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - t
    if cuda:
        peak = (torch.cuda.max_memory_allocated() - base) / 2**20
    else:
        peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss -
                rss0) / 1024
    labels = rw.walk_to_labels(out, torch.arange(args.classes),
                               (args.height, args.width))
    torch.save(
        dict(out=out.cpu(), labels=labels.cpu()), f'/tmp/rw_{args.child}.pt')
    print(json.dumps(dict(seconds=round(elapsed, 3), peak_MiB=round(peak, 1))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--height', type=int, default=375)
    parser.add_argument('--width', type=int, default=500)
    parser.add_argument('--classes', type=int, default=3)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--skip-dense', action='store_true')
    parser.add_argument('--child', choices=['sparse', 'dense'])
    args = parser.parse_args()
    if args.child:
        return child(args)
    result = dict(
        what='random walk, one image, K class maps, beta 10, '
        '256 steps (dense: 8 squarings)',
        image=[args.height, args.width],
        stride4=[math.ceil(args.height / 4),
                 math.ceil(args.width / 4)],
        classes=args.classes,
        env=device_info(args.device))
    methods = ['sparse'] + ([] if args.skip_dense else ['dense'])
    for m in methods:
        out = subprocess.run(
            [sys.executable, __file__, '--child', m] + sys.argv[1:],
            capture_output=True,
            text=True,
            check=True).stdout
        result[m] = json.loads(out.strip().splitlines()[-1])
        print(m, result[m], flush=True)
    if 'dense' in result:
        a, b = torch.load('/tmp/rw_sparse.pt'), torch.load('/tmp/rw_dense.pt')
        result['speedup'] = round(
            result['dense']['seconds'] / result['sparse']['seconds'], 1)
        result['memory_ratio'] = round(
            result['dense']['peak_MiB'] /
            max(result['sparse']['peak_MiB'], 0.1), 1)
        result['same_labels'] = float(
            (a['labels'] == b['labels']).float().mean())
        result['max_rel_diff'] = float(
            (a['out'] - b['out']).abs().max() / b['out'].abs().max())
    save(f'random_walk_{args.device.split(":")[0]}', result)


if __name__ == '__main__':
    main()
