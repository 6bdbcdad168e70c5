"""Where inter-matching's GPU time goes, and what batching would save.

    python benchmarks/probe_batched_lanczos.py      # needs a CUDA device

Times the library's per-group solve (``co_occurrent_mask`` on each of 8
groups of planted 2 x 32 x 32 x 2048 features, one after another) against
the same 48 Lanczos steps written for all groups at once (batched products,
no host reads inside the loop, one restart, Eq. 4 only), checks that the
two give the same signs, and counts one group's kernel launches and host
synchronisations with torch's profiler. Then the same for the library's
batched solver (``co_occurrent_masks(groups, 'batched')``: restarts,
degeneracy test and sign rule included), which grew out of this probe.
Saves benchmarks/results/batched_lanczos_cuda.json.
"""
import time

import torch
from bench_inter_matching import planted_features

from _load import device_info, load, save

inter = load('models/necks/inter_matching.py')


def median_time(fn, repeats=10):
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        torch.cuda.synchronize()
        t = time.perf_counter()
        out = fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2], out


def batched_lanczos(x, k=48):
    """Top eigenvectors of X^T X - 1 1^T for a batch: x (B, c, P) unit
    pixel vectors -> (B, P); fixed k steps, full re-orthogonalisation."""
    b, c, p = x.shape
    v = inter._start_vector(p, x.dtype, x.device).expand(b, p).clone()
    v = v / v.norm(dim=1, keepdim=True)
    basis = torch.zeros(b, k, p, dtype=x.dtype, device=x.device)
    alphas, betas = [], []
    for j in range(k):
        basis[:, j] = v
        w = torch.bmm(x.transpose(1, 2), torch.bmm(x, v[:, :, None]))[..., 0]
        w = w - v.sum(1, keepdim=True)
        alphas.append((w * v).sum(1))
        for _ in range(2):
            q = basis[:, :j + 1]
            w = w - torch.bmm(q.transpose(1, 2), torch.bmm(q, w[:, :,
                                                                None]))[..., 0]
        beta = w.norm(dim=1)
        betas.append(beta)
        v = w / beta[:, None].clamp_min(1e-30)
    off = torch.stack(betas[:-1], 1)
    t = (
        torch.diag_embed(torch.stack(alphas, 1)) + torch.diag_embed(off, 1) +
        torch.diag_embed(off, -1))
    _, evecs = torch.linalg.eigh(t)
    y = torch.bmm(basis.transpose(1, 2), evecs[:, :, -1:])[..., 0]
    return y / y.norm(dim=1, keepdim=True)


def main():
    feats = torch.cat(
        [planted_features(2, 2048, 32, seed=s) for s in range(8)]).cuda()
    groups = feats.view(8, 2, 2048, 32, 32)
    result = dict(groups=8, group=[2, 2048, 32, 32], env=device_info('cuda'))
    loop_s, masks = median_time(
        lambda: [inter.co_occurrent_mask(g) for g in groups])
    x = torch.stack([inter.unit_pixels(g.double()) for g in groups])
    batched_s, y = median_time(lambda: batched_lanczos(x))
    ref = torch.stack([m.flatten() for m in masks]).double()
    agree = ((y > 0) == (ref > 0)).float().mean(1)
    result.update(
        per_group_loop_s=round(loop_s, 4),
        batched_s=round(batched_s, 4),
        same_sign_up_to_global_sign=[
            round(max(a, 1 - a), 4) for a in agree.tolist()
        ])
    # the library's batched solver (solver='batched'): all 8 groups, with
    # restarts, degeneracy test and sign rule
    library_s, lib_masks = median_time(
        lambda: inter.co_occurrent_masks(groups, 'batched'))
    result.update(
        library_batched_s=round(library_s, 4),
        library_batched_same_mask=all(
            torch.equal(a > 0, b > 0) for a, b in zip(masks, lib_masks)))
    for key, fn in (('one_group', lambda: inter.co_occurrent_mask(groups[0])),
                    ('library_batched_8_groups',
                     lambda: inter.co_occurrent_masks(groups, 'batched'))):
        launches, syncs = count_launches_and_syncs(fn)
        result[key + '_kernel_launches'] = launches
        result[key + '_host_syncs'] = syncs
    save('batched_lanczos_cuda', result)


def count_launches_and_syncs(fn):
    """Kernel launches and host synchronisations of one call of ``fn``."""
    activities = [
        torch.profiler.ProfilerActivity.CPU,
        torch.profiler.ProfilerActivity.CUDA
    ]
    with torch.profiler.profile(activities=activities) as prof:
        fn()
    events = prof.key_averages()
    launches = ('cudaLaunchKernel', 'cuLaunchKernel', 'cudaLaunchKernelExC')
    return (int(sum(e.count for e in events if e.key in launches)),
            int(
                sum(e.count for e in events
                    if 'Synchronize' in e.key or e.key == 'cudaMemcpyAsync')))


if __name__ == '__main__':
    main()
