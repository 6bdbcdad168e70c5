import itertools

import pytest
import torch
from mmpretrain.structures import DataSample

# yapf: disable
from comnet_mm.models.necks.inter_matching import (AFFINITIES, ORIENTATIONS,
                                                   InterMatching,
                                                   affinity_operator,
                                                   co_occurrent_mask,
                                                   co_occurrent_masks,
                                                   dense_affinity, dense_d_hat,
                                                   dense_top_eigenpair,
                                                   lanczos_top,
                                                   lanczos_top_batched,
                                                   lanczos_top_eigenpair,
                                                   orient, unit_pixels)

# yapf: enable


def clustered(n=2,
              c=16,
              h=4,
              w=4,
              seed=0,
              fg_scale=3.0,
              noise=0.3,
              fg_frac=0.4):
    """Group features: object pixels share a direction and respond strongly;
    background pixels point elsewhere. Returns feats and the object mask."""
    g = torch.Generator().manual_seed(seed)
    obj_dir = torch.randn(c, generator=g).abs()
    bg_dir = torch.randn(c, generator=g).abs()
    fg = torch.rand(n, h, w, generator=g) < fg_frac
    fg[:, 0, 0] = True  # every image holds the object
    fg[:, -1, -1] = False
    feats = torch.where(fg[:, None], fg_scale * obj_dir[None, :, None, None],
                        bg_dir[None, :, None, None])
    feats = feats + noise * torch.rand(n, c, h, w, generator=g)
    return feats.double(), fg


def eq1(x, fg):
    """Eq. (1) for a binary split ``fg`` of the columns of X (unit vectors)."""
    d = ((x[:, :, None] - x[:, None, :])**2).sum(0)
    same = fg[:, None] == fg[None, :]
    return d[same].sum() - d[~same].sum()


@pytest.mark.parametrize('seed', range(6))
def test_relaxed_solution_matches_brute_force(seed):
    feats, _ = clustered(n=2, c=6, h=2, w=3, seed=seed, noise=0.6)
    x = unit_pixels(feats)
    p = x.shape[1]
    best, best_split = None, None
    for bits in itertools.product([False, True], repeat=p):
        split = torch.tensor(bits)
        if split.all() or not split.any():
            continue
        value = eq1(x, split)
        if best is None or value < best - 1e-12:
            best, best_split = value, split
    mask = co_occurrent_mask(feats, solver='dense').flatten() > 0
    assert torch.equal(mask, best_split) or torch.equal(mask, ~best_split)


def test_d_hat_is_eq1_objective():
    """-M^T D-hat M and Eq. (3) differ by a constant for indicator vectors."""
    feats, _ = clustered(n=2, c=5, h=2, w=2, seed=1)
    x = unit_pixels(feats)
    p = x.shape[1]
    dh = dense_d_hat(x)
    values = []
    for bits in itertools.product([False, True], repeat=p):
        split = torch.tensor(bits)
        m = torch.where(split, 1.0, -1.0).double() / p**0.5
        values.append((eq1(x, split) - (-2 * p * m @ dh @ m)).item())
    assert max(values) - min(values) < 1e-9


@pytest.mark.parametrize('shape', [(2, 32, 6, 6), (3, 64, 5, 7), (5, 16, 4, 4),
                                   (2, 256, 16, 16)])
def test_lanczos_matches_dense(shape):
    g = torch.Generator().manual_seed(sum(shape))
    for kind in ('random', 'relu', 'clustered'):
        if kind == 'clustered':
            feats, _ = clustered(*shape, seed=3)
        else:
            feats = torch.randn(*shape, generator=g, dtype=torch.float64)
            if kind == 'relu':
                feats = feats.clamp_min(0)
        dense = co_occurrent_mask(feats, solver='dense')
        fast = co_occurrent_mask(feats, solver='lanczos')
        agree = ((dense > 0) == (fast > 0)).double().mean().item()
        assert agree >= 0.99, (kind, agree)
        lam_d, _ = dense_top_eigenpair(unit_pixels(feats))
        lam_l, _ = lanczos_top_eigenpair(unit_pixels(feats))
        assert lam_l.item() == pytest.approx(lam_d.item(), rel=1e-6)


def test_orientation_picks_the_object():
    for seed in range(5):
        feats, fg = clustered(n=2, c=32, h=6, w=6, seed=seed, fg_frac=0.6)
        for solver in ('dense', 'lanczos'):
            mask = co_occurrent_mask(feats, solver=solver)
            assert torch.equal(mask > 0, fg), (seed, solver)
    m = torch.tensor([0.5, -0.2, 0.3, -0.6])
    strength = torch.tensor([3.0, 1.0, 2.0, 1.0])
    assert torch.equal(orient(m, strength), m)
    assert torch.equal(orient(-m, strength), m)  # sign-free
    # equal strengths: the largest-magnitude component decides
    assert torch.equal(orient(m, torch.ones(4)), -m)
    # 'minority': the smaller side is positive, whatever the norms
    m3 = torch.tensor([0.5, -0.2, -0.3, -0.6])
    assert torch.equal(orient(-m3, strength, 'minority'), m3)
    # 'largest': the side holding the largest |entry|, whatever the norms
    assert torch.equal(orient(m, strength, 'largest'), -m)
    assert torch.equal(orient(-m, strength, 'largest'), -m)
    # 'border': the side with the smaller share of border cells
    border = torch.tensor([False, True, False, True])
    assert torch.equal(orient(-m, torch.ones(4), 'border', border), m)
    with pytest.raises(ValueError, match='border'):
        orient(m, strength, 'border')
    with pytest.raises(ValueError, match='orientation'):
        orient(m, strength, 'biggest')
    feats, fg = clustered(n=2, c=32, h=6, w=6, seed=0, fg_frac=0.3)
    assert torch.equal(
        co_occurrent_mask(feats, orientation='minority') > 0, fg)


def samples(n_groups, n, shared):
    out = []
    for g in range(n_groups):
        for pos in range(n):
            out.append(
                DataSample(
                    metainfo=dict(
                        group_size=n, group_pos=pos, shared_labels=shared[g])))
    return out


def test_alpha_exactly_where_mask_is_positive_and_skip_without_shared():
    feats0, _ = clustered(n=2, c=8, h=4, w=4, seed=0)
    feats1, _ = clustered(n=2, c=8, h=4, w=4, seed=1)
    x = torch.cat([feats0, feats1]).float().requires_grad_()
    neck = InterMatching(alpha=1.5).train()
    (out, ) = neck((x, ), samples(2, 2, [[3], []]))
    mask = co_occurrent_mask(feats0.float())
    expect0 = torch.where(mask[:, None] > 0,
                          feats0.float() * 1.5, feats0.float())
    assert torch.allclose(out[:2], expect0)
    assert torch.equal(out[2:], x[2:])  # no shared class: unchanged
    assert neck.last_masks[1] is None
    out.sum().backward()  # mask is constant: d out / d x is the scale
    scale = torch.where(mask > 0, 1.5, 1.0)
    assert torch.allclose(x.grad[:2], scale[:, None].expand(-1, 8, -1, -1))
    assert torch.equal(x.grad[2:], torch.ones_like(x.grad[2:]))


def test_groups_of_three_and_eval_behaviour():
    feats = torch.cat([clustered(n=3, c=8, seed=s)[0] for s in (0, 1)]).float()
    neck = InterMatching(alpha=2.0).train()
    (out, ) = neck((feats, ), samples(2, 3, [[0], [1, 2]]))
    assert [m.shape for m in neck.last_masks] == [(3, 4, 4)] * 2
    assert not torch.equal(out, feats)
    neck.eval()
    assert neck((feats, ))[0] is feats  # no partner at inference
    neck.match_at_inference = True
    neck.group_size = 3
    (paired, ) = neck((feats, ))
    assert torch.allclose(paired, out)


def test_bad_layout_and_missing_metainfo():
    feats = torch.randn(4, 8, 3, 3)
    bad = samples(2, 2, [[0], [0]])
    bad[1].set_metainfo(dict(group_pos=0))
    neck = InterMatching().train()
    with pytest.raises(ValueError, match='not laid out in groups'):
        neck((feats, ), bad)
    with pytest.raises(ValueError, match='CoOccurrentGroupDataset'):
        neck((feats, ), [DataSample() for _ in range(4)])


@pytest.mark.parametrize('solver', ['lanczos', 'batched', 'dense'])
def test_degenerate_inputs(solver):
    zeros = torch.zeros(2, 8, 3, 3)
    same = torch.ones(2, 8, 3, 3)
    nan = torch.randn(2, 8, 3, 3)
    nan[0, 0, 0, 0] = float('nan')
    for feats in (zeros, same, nan):
        assert co_occurrent_mask(feats, solver=solver) is None
    # three orthogonal clusters of equal size: lambda_1 = lambda_2
    eye = torch.eye(3)
    cols = eye.repeat_interleave(4, dim=1)  # (3, 12) three equal clusters
    feats = cols.reshape(3, 2, 2, 3).permute(1, 0, 2, 3).contiguous()
    lam, _ = dense_top_eigenpair(unit_pixels(feats.double()))
    evals = torch.linalg.eigvalsh(dense_d_hat(unit_pixels(feats.double())))
    assert evals[-1] - evals[-2] < 1e-9  # repeated top eigenvalue
    a = co_occurrent_mask(feats, solver=solver)
    b = co_occurrent_mask(feats, solver=solver)
    assert a is not None and torch.isfinite(a).all() and torch.equal(a, b)
    # a whole batch with a degenerate group trains on: finite, unchanged group
    neck = InterMatching(solver=solver).train()
    batch = torch.cat([zeros, clustered(n=2, c=8, h=3, w=3)[0].float()])
    (out, ) = neck((batch, ), samples(2, 2, [[0], [0]]))
    assert torch.isfinite(out).all() and torch.equal(out[:2], zeros)


def two_images_one_object(seed, c=24, h=6, w=6, n=2):
    """The case Eq. (4) fails on (issue 13): each image has its own strong
    background direction, a blob of a shared object direction, ReLU."""
    g = torch.Generator().manual_seed(seed)
    obj = torch.randn(c, generator=g)
    feats, fg = [], []
    for _ in range(n):
        bg = 2.0 * torch.randn(c, generator=g)
        top, left = torch.randint(0, h - 2, (2, ), generator=g).tolist()
        mask = torch.zeros(h, w, dtype=torch.bool)
        mask[top:top + 3, left:left + 3] = True
        f = torch.where(mask[None], obj[:, None, None], bg[:, None, None])
        f = f + 0.2 * torch.randn(c, h, w, generator=g)
        feats.append(f.clamp_min(0))
        fg.append(mask)
    return torch.stack(feats).double(), torch.stack(fg)


def brute_operator(x, n, affinity):
    """Each affinity from its definition, entry by entry (no shared code
    with the module but unit_pixels)."""
    p = x.shape[1]
    q = p // n
    img = torch.arange(p) // q
    a = torch.zeros(p, p, dtype=x.dtype)
    if affinity == 'paper':
        for i in range(p):
            for j in range(p):
                a[i, j] = x[:, i] @ x[:, j] - 1
        return a
    if affinity == 'ncut':
        w = torch.zeros(p, p, dtype=x.dtype)
        for i in range(p):
            for j in range(p):
                w[i, j] = (1 + x[:, i] @ x[:, j]) / 2
        d = w.sum(1)
        for i in range(p):
            for j in range(p):
                a[i, j] = w[i, j] / (d[i] * d[j]).sqrt()
        u0 = d.sqrt() / d.sqrt().norm()
        return a - u0[:, None] * u0[None]
    mean_all = x.mean(1)
    means = [x[:, img == k].mean(1) for k in range(n)]
    for i in range(p):
        for j in range(p):
            if affinity == 'image_centred':
                zi, zj = x[:, i] - means[img[i]], x[:, j] - means[img[j]]
            else:
                zi, zj = x[:, i] - mean_all, x[:, j] - mean_all
            if affinity == 'cross' and img[i] == img[j]:
                continue
            a[i, j] = zi @ zj
    return a


@pytest.mark.parametrize('affinity', AFFINITIES)
def test_affinities_match_their_definitions(affinity):
    """Dense matrix, matrix-free operator and the Lanczos/dense masks agree
    with the definition written out entry by entry."""
    feats, _ = two_images_one_object(0, c=8, h=3, w=3, n=3)
    x = unit_pixels(feats)
    ref = brute_operator(x, 3, affinity)
    assert torch.allclose(dense_affinity(x, 3, affinity), ref, atol=1e-12)
    apply, _, _ = affinity_operator(x, 3, affinity)
    v = torch.randn(x.shape[1], dtype=x.dtype)
    assert torch.allclose(apply(v), ref @ v, atol=1e-10)
    for seed in range(4):
        feats, _ = two_images_one_object(seed, n=2)
        dense = co_occurrent_mask(feats, solver='dense', affinity=affinity)
        fast = co_occurrent_mask(feats, solver='lanczos', affinity=affinity)
        assert torch.equal(dense > 0, fast > 0), (affinity, seed)


def test_ncut_is_the_second_generalised_eigenvector():
    """'ncut' gives Shi & Malik's second eigenvector of W y = l D y."""
    feats, _ = two_images_one_object(1, c=8, h=3, w=3)
    x = unit_pixels(feats)
    w = (1 + x.t() @ x) / 2
    d = w.sum(1)
    evals, evecs = torch.linalg.eigh(w / torch.outer(d.sqrt(), d.sqrt()))
    y = evecs[:, -2] / d.sqrt()
    m = co_occurrent_mask(feats, solver='dense', affinity='ncut').flatten()
    cos = (y @ m.double()).abs() / (y.norm() * m.double().norm())
    assert cos.item() == pytest.approx(1.0, abs=1e-9)


def test_image_centring_finds_the_object_where_eq4_splits_images():
    """On the issue's synthetic case, per-image centring recovers the
    object (best sign) in every group; Eq. (4) as written does not."""
    hits = {a: 0 for a in ('paper', 'image_centred')}
    for seed in range(10):
        feats, fg = two_images_one_object(seed)
        for affinity in hits:
            m = co_occurrent_mask(feats, solver='dense', affinity=affinity) > 0
            hits[affinity] += bool(torch.equal(m, fg) or torch.equal(~m, fg))
    assert hits['image_centred'] == 10
    assert hits['paper'] < 10


def test_unknown_affinity_is_refused():
    with pytest.raises(ValueError, match='affinity'):
        InterMatching(affinity='eq4')
    with pytest.raises(ValueError, match='affinity'):
        co_occurrent_mask(clustered()[0], affinity='eq4')


def test_raw_pixels_keep_the_norms():
    """unit=False divides by the mean norm only: relative norms stay, the
    Lanczos and dense solvers still agree, and a unit-norm input gives the
    same mask either way."""
    feats, _ = clustered(n=2, c=16, h=4, w=4, seed=2)
    x = unit_pixels(feats, unit=False)
    norms = feats.permute(1, 0, 2, 3).reshape(16, -1).norm(dim=0)
    assert torch.allclose(x.norm(dim=0), norms / norms.mean())
    for affinity in AFFINITIES:
        dense = co_occurrent_mask(
            feats, solver='dense', affinity=affinity, unit=False)
        fast = co_occurrent_mask(feats, affinity=affinity, unit=False)
        assert torch.equal(dense > 0, fast > 0), affinity
    unit_feats = feats / feats.norm(dim=1, keepdim=True)
    assert torch.equal(
        co_occurrent_mask(unit_feats, unit=False) > 0,
        co_occurrent_mask(unit_feats) > 0)
    assert InterMatching(unit=False).unit is False


def mixed_batch():
    """Six groups of 2 x 24 x 6 x 6: the synthetic cases, an all-zero
    group, a group with a NaN, and a rank-2 group whose Krylov space runs
    out after a few steps (the breakdown path)."""
    groups = torch.stack([two_images_one_object(s)[0] for s in range(3)] + [
        torch.zeros(2, 24, 6, 6, dtype=torch.float64),
        two_images_one_object(3)[0],
        clustered(n=2, c=24, h=6, w=6, seed=1)[0],
    ])
    groups[4, 0, 0, 0, 0] = float('nan')
    g = torch.Generator().manual_seed(5)
    low_rank = torch.rand(2, 2, 6, 6, generator=g, dtype=torch.float64)
    groups[5] = torch.cat([low_rank, torch.zeros(2, 22, 6, 6).double()], 1)
    return groups


def test_batched_lanczos_equals_per_group_lanczos():
    """The batched solve is the per-group solve, group by group: the same
    eigenvalues and eigenvectors (up to sign), breakdown and restarts
    included."""
    groups = mixed_batch()[[0, 1, 2, 5]]
    for affinity in AFFINITIES:
        x = torch.stack([unit_pixels(f) for f in groups])
        ops = [affinity_operator(xi, 2, affinity)[0] for xi in x]
        lam, y = lanczos_top_batched(
            lambda v: torch.stack([op(vi) for op, vi in zip(ops, v)]),
            len(ops), x.shape[2], x.dtype, x.device)
        for i, op in enumerate(ops):
            lam_i, y_i = lanczos_top(op, x.shape[2], x.dtype, x.device)
            assert lam[i].item() == pytest.approx(
                lam_i.item(), rel=1e-9, abs=1e-9), (affinity, i)
            assert abs(float(y[i] @ y_i)) == pytest.approx(
                1.0, abs=1e-6), (affinity, i)
    # short Krylov spaces: one group converges at once and keeps its pair,
    # the others restart. To see the keeping, group 1's operator is swapped
    # for group 2's after the first round (6 steps + the residual product):
    # a solver that went on refining group 1 would return group 2's pair
    g = torch.Generator().manual_seed(0)
    x = torch.stack([
        unit_pixels(
            torch.randn(2, 96, 8, 8, generator=g).double().clamp_min(0) *
            scale) for scale in (1.0, 3.0, 0.5)
    ])
    x[1, :, :64] = x[1, :, :1]  # a dominant cluster: converges first
    ops = [affinity_operator(xi, 2, 'paper')[0] for xi in x]
    calls = []

    def apply(v):
        calls.append(1)
        now = ops if len(calls) <= 6 + 1 else [ops[0], ops[2], ops[2]]
        return torch.stack([op(vi) for op, vi in zip(now, v)])

    lam, y = lanczos_top_batched(
        apply, 3, x.shape[2], x.dtype, x.device, num_iters=6, restarts=4)
    assert len(calls) > 2 * 6  # restarted
    # the swap is visible at the tolerance below (1e-6): groups 1 and 2
    # have top eigenvalues ~7e-4 apart
    lam_1, _ = lanczos_top(ops[1], x.shape[2], x.dtype, x.device, 6, 4)
    lam_2, _ = lanczos_top(ops[2], x.shape[2], x.dtype, x.device, 6, 4)
    assert abs(lam_1.item() - lam_2.item()) > 1e-4 * abs(lam_2.item())
    for i, op in enumerate(ops):
        lam_i, y_i = lanczos_top(op, x.shape[2], x.dtype, x.device, 6, 4)
        # restarting from an unconverged Ritz vector amplifies rounding
        # (a 1e-15 change of the start moves lambda by ~1e-7 after two
        # restarts of 6 steps, per group alone), hence the tolerance
        assert lam[i].item() == pytest.approx(lam_i.item(), rel=1e-6), i
        assert float(y[i] @ y_i) == pytest.approx(1.0, abs=1e-6), i


@pytest.mark.parametrize('affinity', AFFINITIES)
def test_batched_masks_equal_per_group_masks(affinity):
    """co_occurrent_masks(solver='batched') gives every group the mask the
    per-group solver gives (None where it gives None), for every sign rule
    and with raw norms; a bad group does not disturb the others."""
    groups = mixed_batch()
    for unit in (True, False):
        for rule in ORIENTATIONS:
            ref = co_occurrent_masks(
                groups,
                'lanczos',
                orientation=rule,
                affinity=affinity,
                unit=unit)
            got = co_occurrent_masks(
                groups,
                'batched',
                orientation=rule,
                affinity=affinity,
                unit=unit)
            assert ref[3] is None and ref[4] is None
            for i, (a, b) in enumerate(zip(ref, got)):
                assert (a is None) == (b is None), (unit, rule, i)
                if a is not None:
                    assert torch.equal(a > 0, b > 0), (unit, rule, i)
                    assert torch.allclose(a, b, atol=1e-8), (unit, rule, i)
    dense = co_occurrent_mask(groups[0], solver='dense', affinity=affinity)
    single = co_occurrent_mask(groups[0], solver='batched', affinity=affinity)
    assert torch.equal(dense > 0, single > 0)


def test_batched_neck_equals_per_group_neck():
    """InterMatching(solver='batched') trains as the per-group neck: the
    same output and input gradient, groups without a shared class and groups
    of different sizes in one batch included."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(9, 16, 5, 5, generator=g).clamp_min(0)
    metas = [(2, [1]), (2, []), (2, [4]), (3, [2])]
    data = []
    for n, shared in metas:
        data += samples(1, n, [shared])
    outs = []
    for solver in ('lanczos', 'batched'):
        xi = x.clone().requires_grad_()
        neck = InterMatching(solver=solver).train()
        (out, ) = neck((xi, ), data)
        (out * torch.arange(out.numel()).reshape(out.shape)).sum().backward()
        outs.append((out.detach(), xi.grad, neck.last_masks))
    (o1, g1, m1), (o2, g2, m2) = outs
    assert torch.equal(o1, o2) and torch.equal(g1, g2)
    assert m1[1] is None and m2[1] is None
    assert all(
        torch.equal(a > 0, b > 0) for a, b in zip(m1, m2) if a is not None)
    assert torch.equal(o2[2:4], x[2:4])  # no shared class: unchanged
