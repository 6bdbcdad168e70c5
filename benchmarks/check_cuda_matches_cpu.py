"""The torch-only pieces give the same answer on CUDA as on the CPU.

    python benchmarks/check_cuda_matches_cpu.py [--device cuda]

The CPU is where every test and every number of this project is computed;
a user trains on a GPU. This runs the same inputs through both and compares:

* inter-matching M* (Eq. 4 and the other affinities, N = 2 and 5, VOC's
  32 x 32 x 2048 per image, planted co-occurrent object): share of positions
  with the same sign, max |difference| (float64 solve on both devices), for
  the per-group solver on both and for the batched solver on the device
  (three groups at once) against the per-group one on the CPU;
* intra-matching (32 x 32 x 2048, k = 8, the R50 configs' 2048 -> 512 MLP):
  share of identical partner sets, output and input-gradient differences;
* the random walk on a 500 x 375 image at stride 4: relative difference of
  the walked maps and share of equal labels, float32 and float64.

Exits 1 if a check falls below its bound (printed beside it). Needs torch
only. Saves benchmarks/results/cuda_vs_cpu.json.
"""
import argparse
import sys

import torch
from bench_inter_matching import planted_features
from bench_random_walk import inputs as walk_inputs

from _load import device_info, load, save

inter = load('models/necks/inter_matching.py')
intra = load('models/necks/intra_matching.py')
rw = load('irn/random_walk.py')


def check_inter(device):
    rows = []
    for n in (2, 5):
        feats = planted_features(n, 2048, 32, seed=n)
        for affinity in inter.AFFINITIES:
            a = inter.co_occurrent_mask(feats, affinity=affinity)
            b = inter.co_occurrent_mask(
                feats.to(device), affinity=affinity).cpu()
            rows.append(
                dict(
                    N=n,
                    affinity=affinity,
                    same_sign=float(((a > 0) == (b > 0)).float().mean()),
                    max_abs_diff=float((a - b).abs().max())))
        # the batched solver on the device against the per-group one on
        # the CPU: three groups in one solve (the first is the one above)
        groups = torch.stack(
            [feats] +
            [planted_features(n, 2048, 32, seed=10 * n + s) for s in (1, 2)])
        for affinity in inter.AFFINITIES:
            a = inter.co_occurrent_masks(groups, affinity=affinity)
            b = inter.co_occurrent_masks(
                groups.to(device), 'batched', affinity=affinity)
            a, b = torch.stack(a), torch.stack(b).cpu()
            rows.append(
                dict(
                    N=n,
                    affinity=affinity,
                    solver='batched',
                    same_sign=float(((a > 0) == (b > 0)).float().mean()),
                    max_abs_diff=float((a - b).abs().max())))
    return rows


def check_intra(device):
    torch.manual_seed(0)
    neck = intra.IntraMatching(2048, mlp_channels=[512], k=8)
    x = torch.randn(1, 2048, 32, 32)
    out = {}
    for dev in ('cpu', device):
        m = neck.to(dev)
        xi = x.detach().to(dev).clone().requires_grad_()
        y = m((xi, ))[0]
        y.square().sum().backward()
        out[dev] = (y.detach().cpu(), xi.grad.cpu(),
                    m.last_partners.cpu().sort(-1).values)
    (ya, ga, pa), (yb, gb, pb) = out['cpu'], out[device]
    return dict(
        same_partner_sets=float((pa == pb).all(-1).float().mean()),
        out_rel_diff=float((ya - yb).abs().max() / ya.abs().max()),
        grad_rel_diff=float((ga - gb).abs().max() / ga.abs().max()))


def check_walk(device):
    cams, b = walk_inputs(94, 125, 3, 'cpu')
    rows = []
    for dtype in (torch.float32, torch.float64):
        a = rw.random_walk(cams.to(dtype), b.to(dtype))
        c = rw.random_walk(cams.to(device, dtype), b.to(device, dtype)).cpu()
        keys = torch.arange(3)
        la = rw.walk_to_labels(a, keys, (375, 500))
        lc = rw.walk_to_labels(c, keys, (375, 500))
        rows.append(
            dict(
                dtype=str(dtype).split('.')[-1],
                rel_diff=float((a - c).abs().max() / a.abs().max()),
                same_labels=float((la == lc).float().mean())))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cuda')
    args = parser.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    result = dict(
        what='the same inputs on the CPU and on ' + args.device,
        env=device_info(args.device),
        inter=check_inter(args.device),
        intra=check_intra(args.device),
        walk=check_walk(args.device))
    bounds = []
    for r in result['inter']:
        bounds.append((f"inter N={r['N']} {r['affinity']} "
                       f"{r.get('solver', 'lanczos')} same sign",
                       r['same_sign'], '>=', 0.999))
    bounds.append(('intra partner sets', result['intra']['same_partner_sets'],
                   '>=', 0.99))
    bounds.append(
        ('intra output', result['intra']['out_rel_diff'], '<=', 1e-3))
    bounds.append(
        ('intra gradient', result['intra']['grad_rel_diff'], '<=', 1e-3))
    for r in result['walk']:
        tol = 1e-3 if r['dtype'] == 'float32' else 1e-9
        bounds.append((f"walk {r['dtype']} maps", r['rel_diff'], '<=', tol))
        bounds.append(
            (f"walk {r['dtype']} labels", r['same_labels'], '>=', 0.999))
    failed = []
    for name, value, op, bound in bounds:
        ok = value >= bound if op == '>=' else value <= bound
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {value:.3g} {op} {bound}")
        if not ok:
            failed.append(name)
    result['failed'] = failed
    save('cuda_vs_cpu', result)
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
