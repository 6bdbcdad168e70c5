"""Intra-matching: per-point MLP + gather vs the naive gather-then-MLP.

    python benchmarks/bench_intra_matching.py [--device cuda] [--size 32]
        [--channels 2048] [--k 8] [--batch 1]

Times forward + backward and measures the memory each version keeps for
backward (bytes of tensors autograd saves, any device) and, on CUDA, the peak
allocated memory. Needs torch only. Saves
benchmarks/results/intra_matching_<device>.json.
"""
import argparse
import time

import torch

from _load import device_info, load, save

intra = load('models/necks/intra_matching.py')


def naive(x, mlp, k):
    b, c, h, w = x.shape
    pts = x.flatten(2)
    with torch.no_grad():
        idx = intra.topk_partners(pts, k)
    gathered = torch.stack([pts[i][:, idx[i]] for i in range(b)])  # B,c,P,k
    return mlp(gathered).max(-1).values.view(b, -1, h, w)


def measure(fn, x, device, repeats):
    saved = []

    def pack(t):
        saved.append(t.numel() * t.element_size())
        return t

    times = []
    peak = None
    for r in range(repeats + 1):
        saved.clear()
        xi = x.clone().requires_grad_()
        if device.startswith('cuda'):
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            base = torch.cuda.memory_allocated()
        t = time.perf_counter()
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = fn(xi)
        out.sum().backward()
        if device.startswith('cuda'):
            torch.cuda.synchronize()
            peak = (torch.cuda.max_memory_allocated() - base) / 2**20
        if r:  # the first run warms up
            times.append(time.perf_counter() - t)
    return min(times), sum(saved) / 2**20, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--size', type=int, default=32)
    parser.add_argument('--channels', type=int, default=2048)
    parser.add_argument('--k', type=int, default=8)
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    c = args.channels
    neck = intra.IntraMatching(c, k=args.k).to(args.device)
    x = torch.randn(args.batch, c, args.size, args.size, device=args.device)
    ours = measure(lambda t: neck((t, ))[0], x, args.device, args.repeats)
    ref = measure(lambda t: naive(t, neck.mlp, args.k), x, args.device,
                  args.repeats)
    rows = []
    for name, (t, saved, peak) in (('per_point_mlp', ours), ('naive', ref)):
        rows.append(
            dict(
                version=name,
                fwd_bwd_s=round(t, 4),
                saved_for_backward_MiB=round(saved, 1),
                cuda_peak_MiB=None if peak is None else round(peak, 1)))
    save(
        f'intra_matching_{args.device.split(":")[0]}',
        dict(
            what='intra-matching forward + backward',
            shape=[args.batch, c, args.size, args.size],
            k=args.k,
            speedup=round(ref[0] / ours[0], 2),
            memory_ratio=round(ref[1] / ours[1], 2),
            env=device_info(args.device),
            rows=rows))


if __name__ == '__main__':
    main()
