"""Paired-image inter-matching (COMNet Sec. III-A, Eq. 1-5; groups of N,
Sec. III-C).

This file imports torch only, so the solver can be benchmarked anywhere
(``benchmarks/bench_inter_matching.py`` loads it by path); the neck is
registered in ``comnet_mm/models/necks/__init__.py``.

For one group of N images with features F_1..F_N (c x h x w each):

* X = [x_1 .. x_P], P = N*h*w, every pixel vector unit-normalised
  (an all-zero vector stays zero);
* D-hat = X^T X - 1 1^T (Eq. 4), so that -M^T D-hat M is Eq. (1)/(3) up to a
  constant for the indicator M of Eq. (2);
* the relaxed minimiser M* of Eq. (4) under ||M|| = 1 is the eigenvector of
  D-hat with the largest eigenvalue (Ding & He, ref. [44]);
* features where M* > 0 are multiplied by alpha (Eq. 5).

Two facts about D-hat shape the implementation. For v orthogonal to 1,
v^T D-hat v = ||X v||^2 >= 0, so the top eigenvalue lambda_1 >= 0, and
lambda_1 = 0 exactly when all pixel vectors are equal (or all zero): then no
partition exists and the group is left unchanged. And D-hat has rank <= c + 1,
so the default solver never forms the P x P matrix: Lanczos iterations apply
D-hat as v -> X^T (X v) - 1 (1^T v).

The paper leaves room in two places, each a config value here
(``affinity``, ``orientation``; docs/results.md measures them):

* which matrix's top eigenvector partitions the group. ``'paper'`` is Eq. (4)
  as written. The others are what a careful reader tries when the literal
  one splits image from image: ``'centred'`` (the exact sum-to-zero
  relaxation: H X^T X H, H = I - 11^T / P), ``'image_centred'`` (each image's
  mean pixel vector subtracted first, so what an image has everywhere, its
  background and tone, cannot be the top direction), ``'cross'`` (only the
  cross-image block of D-hat, co-segmentation's view: a pixel is grouped by
  what it matches in the other images) and ``'ncut'`` (normalised cut on the
  cosine affinity (1 + x_i.x_j) / 2);
* which side is the object: feature norm, minority, the side holding the
  largest |entry|, or the side touching fewer image borders;
* whether the pixel vectors are unit-normalised (``unit=True``, the paper's
  X) or kept as they are, divided by their mean norm (``unit=False``), so
  that strongly responding cells, the objects, weigh more than the many
  weak background cells.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

SOLVERS = ('lanczos', 'batched', 'dense')
ORIENTATIONS = ('norm', 'minority', 'largest', 'border')
AFFINITIES = ('paper', 'centred', 'image_centred', 'cross', 'ncut')


def unit_pixels(feats: torch.Tensor,
                eps: float = 1e-12,
                unit: bool = True) -> torch.Tensor:
    """(N, c, h, w) features -> X (c, N*h*w) with unit-norm columns.

    Columns of all-zero pixels stay zero (no division by zero). With
    ``unit=False`` every column is divided by the mean column norm instead:
    the relative norms stay, and the 1 1^T of Eq. (4) stays commensurate.
    """
    n, c, h, w = feats.shape
    x = feats.permute(1, 0, 2, 3).reshape(c, n * h * w)
    norm = x.norm(dim=0, keepdim=True)
    if not unit:
        return x / norm.mean().clamp_min(eps)
    return x / norm.clamp_min(eps)


def dense_d_hat(x: torch.Tensor) -> torch.Tensor:
    """D-hat = X^T X - 1 1^T (P x P): the reference, Eq. (4)."""
    return x.t() @ x - 1.0


def _apply_d_hat(x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """D-hat v without forming D-hat: X^T (X v) - 1 (1^T v)."""
    return x.t() @ (x @ v) - v.sum()


def _centre(x: torch.Tensor, n: int, per_image: bool) -> torch.Tensor:
    """Z = X minus the mean pixel vector of the group (then Z^T Z = H X^T X
    H, H = I - 11^T / P) or of each of its n images."""
    if not per_image:
        return x - x.mean(dim=1, keepdim=True)
    c, p = x.shape
    z = x.reshape(c, n, p // n)
    return (z - z.mean(dim=2, keepdim=True)).reshape(c, p)


def _within(z: torch.Tensor, n: int, v: torch.Tensor) -> torch.Tensor:
    """The within-image blocks of Z^T Z applied to v: [Z_i^T Z_i v_i]_i."""
    c, p = z.shape
    zi = z.reshape(c, n, p // n)
    vi = v.reshape(n, p // n)
    return torch.einsum('cnq,cn->nq', zi, torch.einsum('cnq,nq->cn', zi,
                                                       vi)).reshape(p)


def affinity_operator(x: torch.Tensor, n: int, affinity: str = 'paper'):
    """The matrix A whose top eigenvector partitions the group, matrix-free.

    Args:
        x: (c, P) unit pixel vectors of n images (image-major columns).
        n: images in the group.
        affinity: one of :data:`AFFINITIES` (module docstring).

    Returns:
        (apply, finish, scale): ``apply(v)`` = A v for v (P,); ``finish(y)``
        maps A's top eigenvector to M (D^-1/2 y for 'ncut', else y); ``scale``
        is the size of a real partition's eigenvalue (P; 1 for 'ncut'), for
        the degeneracy test.
    """
    if affinity not in AFFINITIES:
        raise ValueError(f'affinity must be one of {AFFINITIES}, got '
                         f'{affinity!r}')
    p = x.shape[1]
    same = (lambda y: y)  # noqa: E731
    if affinity == 'paper':
        return (lambda v: _apply_d_hat(x, v)), same, p
    if affinity in ('centred', 'image_centred'):
        z = _centre(x, n, affinity == 'image_centred')
        return (lambda v: z.t() @ (z @ v)), same, p
    if affinity == 'cross':
        z = _centre(x, n, False)
        return (lambda v: z.t() @ (z @ v) - _within(z, n, v)), same, p
    # 'ncut': W = (1 + X^T X) / 2 in [0, 1], S = D^-1/2 W D^-1/2 has the
    # trivial top eigenvector u0 ~ D^1/2 1 (eigenvalue 1): deflate it, so the
    # top one left is the normalised cut's (Shi & Malik's second).

    def w(v):
        return (x.t() @ (x @ v) + v.sum()) / 2

    d_half = w(torch.ones(p, dtype=x.dtype, device=x.device)).sqrt()
    u0 = d_half / d_half.norm()

    def apply(v):
        s = w(v / d_half) / d_half
        return s - u0 * torch.dot(u0, v)

    def finish(y):
        m = y / d_half
        return m / m.norm()

    return apply, finish, 1


def dense_affinity(x: torch.Tensor,
                   n: int,
                   affinity: str = 'paper') -> torch.Tensor:
    """A of :func:`affinity_operator` as a P x P matrix, formed entry by
    entry from its definition: the reference."""
    if affinity not in AFFINITIES:
        raise ValueError(f'affinity must be one of {AFFINITIES}, got '
                         f'{affinity!r}')
    p = x.shape[1]
    if affinity == 'paper':
        return dense_d_hat(x)
    if affinity == 'ncut':
        w = (1 + x.t() @ x) / 2
        d = w.sum(1)
        s = w / torch.outer(d.sqrt(), d.sqrt())
        u0 = d.sqrt() / d.sqrt().norm()
        return s - torch.outer(u0, u0)
    gram = x.t() @ x
    h = torch.eye(p, dtype=x.dtype, device=x.device) - 1.0 / p
    if affinity == 'image_centred':
        q = p // n
        h = torch.block_diag(
            *[torch.eye(q, dtype=x.dtype, device=x.device) - 1.0 / q] * n)
    a = h @ gram @ h
    if affinity == 'cross':
        within = torch.block_diag(
            *[torch.ones(p // n, p // n, dtype=a.dtype, device=a.device)] * n)
        a = a * (1 - within)
    return a


def _start_vector(p: int, dtype, device) -> torch.Tensor:
    """A fixed pseudo-random start, the same on every device and call."""
    g = torch.Generator().manual_seed(20240607)
    return torch.rand(
        p, generator=g, dtype=torch.float64).to(
            device=device, dtype=dtype) - 0.5


def lanczos_top(apply,
                p: int,
                dtype,
                device,
                num_iters: int = 48,
                restarts: int = 4,
                tol: float = 1e-6) -> Tuple[torch.Tensor, torch.Tensor]:
    """Largest eigenpair of a symmetric P x P operator ``apply`` (v -> A v).

    Lanczos with full re-orthogonalisation; each restart begins from the last
    Ritz vector, until the residual ||A y - lambda y|| is below
    ``tol * max(1, |lambda|)``. Memory is O(num_iters * P).

    Returns:
        (lambda_1, y): the eigenvalue (scalar tensor) and unit eigenvector
        (P,).
    """
    k = min(num_iters, p)
    v = _start_vector(p, dtype, device)
    lam, y = None, None
    for _ in range(max(1, restarts)):
        basis = torch.zeros(k, p, dtype=dtype, device=device)
        alphas, betas = [], []
        v = v / v.norm()
        m = k
        for j in range(k):
            basis[j] = v
            w = apply(v)
            alphas.append(torch.dot(w, v))
            # full re-orthogonalisation (twice is enough in floating point)
            for _ in range(2):
                w = w - basis[:j + 1].t() @ (basis[:j + 1] @ w)
            beta = w.norm()
            if j == k - 1 or beta <= 1e-10 * max(1.0, abs(float(alphas[0]))):
                m = j + 1
                break
            betas.append(beta)
            v = w / beta
        t = torch.diag(torch.stack(alphas))
        if m > 1:
            off = torch.stack(betas[:m - 1])
            t = t + torch.diag(off, 1) + torch.diag(off, -1)
        evals, evecs = torch.linalg.eigh(t)
        lam = evals[-1]
        y = basis[:m].t() @ evecs[:, -1]
        y = y / y.norm()
        residual = (apply(y) - lam * y).norm()
        if residual <= tol * max(1.0, abs(float(lam))) or m < k:
            break
        v = y
    return lam, y


def lanczos_top_batched(
        apply,
        g: int,
        p: int,
        dtype,
        device,
        num_iters: int = 48,
        restarts: int = 4,
        tol: float = 1e-6) -> Tuple[torch.Tensor, torch.Tensor]:
    """:func:`lanczos_top` for G operators at once (``apply``: (G, P) ->
    (G, P)), with no host read inside the iterations.

    The per-group solver reads a scalar back at every step (the breakdown
    test) and solves the groups one after another: on a GPU that is ~950
    kernel launches and ~270 host synchronisations per group
    (benchmarks/probe_batched_lanczos.py). Here every step is one batched
    product for all groups; a group whose Krylov space is exhausted (beta
    below the same threshold) carries on with zero vectors, which only add
    decoupled zero rows to its tridiagonal matrix (its breakdown means its
    Ritz pair is exact, as the per-group solver's early stop). The residual
    test is one host read per restart for the whole batch.

    Returns:
        (lambda_1, y): (G,) eigenvalues and (G, P) unit eigenvectors.
    """
    k = min(num_iters, p)
    v = _start_vector(p, dtype, device).expand(g, p).clone()
    lam, y, finished = None, None, None
    for _ in range(max(1, restarts)):
        basis = torch.zeros(g, k, p, dtype=dtype, device=device)
        alphas, betas = [], []
        v = v / v.norm(dim=1, keepdim=True)
        alive = torch.ones(g, dtype=torch.bool, device=device)
        threshold = None
        for j in range(k):
            basis[:, j] = v
            w = apply(v)
            alphas.append((w * v).sum(1))
            if threshold is None:
                threshold = 1e-10 * alphas[0].abs().clamp_min(1.0)
            for _ in range(2):
                q = basis[:, :j + 1]
                w = w - torch.einsum('gjp,gj->gp', q,
                                     torch.einsum('gjp,gp->gj', q, w))
            if j == k - 1:
                break
            beta = w.norm(dim=1)
            alive = alive & (beta > threshold)
            beta = torch.where(alive, beta, torch.zeros_like(beta))
            betas.append(beta)
            v = torch.where(alive[:, None],
                            w / beta.clamp_min(1e-300)[:, None],
                            torch.zeros_like(w))
        t = torch.diag_embed(torch.stack(alphas, 1))
        if betas:
            off = torch.stack(betas, 1)
            t = t + torch.diag_embed(off, 1) + torch.diag_embed(off, -1)
        evals, evecs = torch.linalg.eigh(t)
        new_lam = evals[:, -1]
        new_y = torch.einsum('gjp,gj->gp', basis, evecs[:, :, -1])
        new_y = new_y / new_y.norm(dim=1, keepdim=True).clamp_min(1e-300)
        residual = (apply(new_y) - new_lam[:, None] * new_y).norm(dim=1)
        done = (residual <= tol * new_lam.abs().clamp_min(1.0)) | ~alive
        if finished is None:
            lam, y, finished = new_lam, new_y, done
        else:  # a group that had converged keeps its pair, as per group
            lam = torch.where(finished, lam, new_lam)
            y = torch.where(finished[:, None], y, new_y)
            finished = finished | done
        if bool(finished.all()):
            break
        v = y
    return lam, y


def lanczos_top_eigenpair(
        x: torch.Tensor,
        num_iters: int = 48,
        restarts: int = 4,
        tol: float = 1e-6) -> Tuple[torch.Tensor, torch.Tensor]:
    """Largest eigenpair of D-hat = X^T X - 1 1^T (x: (c, P) unit pixel
    vectors), matrix-free: :func:`lanczos_top` on Eq. (4)."""
    return lanczos_top(lambda v: _apply_d_hat(x, v), x.shape[1], x.dtype,
                       x.device, num_iters, restarts, tol)


def dense_top_eigenpair(x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Largest eigenpair of the dense D-hat via ``torch.linalg.eigh``."""
    evals, evecs = torch.linalg.eigh(dense_d_hat(x))
    return evals[-1], evecs[:, -1]


def image_border(n: int, h: int, w: int) -> torch.Tensor:
    """(n*h*w,) bool: the cells on an image's border, image-major."""
    border = torch.zeros(h, w, dtype=torch.bool)
    border[0], border[-1], border[:, 0], border[:, -1] = True, True, True, True
    return border.flatten().repeat(n)


def orient(m: torch.Tensor,
           strength: torch.Tensor,
           rule: str = 'norm',
           border: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Flip the eigenvector's arbitrary sign so its positive side is the
    object.

    Rules: 'norm' (default), the side whose pixels have the larger mean
    feature norm (before unit normalisation): a classifier's features
    respond more strongly on the objects it was trained to recognise than on
    background. 'minority', the side with fewer pixels (objects usually
    cover less than the background). 'largest', the side holding the
    largest |entry| (the most confident cell). 'border', the side with the
    smaller share of its cells on an image border (objects sit inside the
    frame, background surrounds them; needs ``border``). On a tie the
    'largest' rule decides, so every rule is deterministic.

    Args:
        m: (P,) eigenvector.
        strength: (P,) pixel feature norms.
        rule: one of :data:`ORIENTATIONS`.
        border: (P,) bool, the cells on an image border ('border' rule).
    """
    if rule not in ORIENTATIONS:
        raise ValueError(f'orientation must be one of {ORIENTATIONS}, got '
                         f'{rule!r}')
    pos, neg = m > 0, m < 0
    if rule == 'minority' and int(pos.sum()) != int(neg.sum()):
        return m if pos.sum() < neg.sum() else -m
    if rule == 'border' and pos.any() and neg.any():
        if border is None:
            raise ValueError("orientation 'border' needs the border cells")
        share_pos = float(border[pos].float().mean())
        share_neg = float(border[neg].float().mean())
        if abs(share_pos - share_neg) > 1e-9:
            return m if share_pos < share_neg else -m
    if rule == 'norm' and pos.any() and neg.any():
        s_pos = strength[pos].mean()
        s_neg = strength[neg].mean()
        scale = max(float(s_pos.abs()), float(s_neg.abs()), 1e-30)
        if abs(float(s_pos - s_neg)) > 1e-6 * scale:
            return m if s_pos > s_neg else -m
    return m if m[m.abs().argmax()] >= 0 else -m


def co_occurrent_mask(feats: torch.Tensor,
                      solver: str = 'lanczos',
                      num_iters: int = 48,
                      restarts: int = 4,
                      dtype: torch.dtype = torch.float64,
                      degenerate_tol: float = 1e-7,
                      orientation: str = 'norm',
                      affinity: str = 'paper',
                      unit: bool = True) -> Optional[torch.Tensor]:
    """M* of one group, split per image: the top eigenvector of the
    ``affinity`` matrix (Eq. 4 for 'paper'), oriented by :func:`orient`.

    Args:
        feats: (N, c, h, w) features of the group's N images.
        solver: 'lanczos' (matrix-free, default), 'batched' (the same
            steps without host reads, :func:`co_occurrent_masks`) or
            'dense' (``eigh`` of the P x P matrix, the reference).
        num_iters, restarts: Lanczos settings.
        dtype: precision of the solve (float64 by default: the solve is cheap
            next to the backbone and the mask sign is then stable).
        degenerate_tol: a top eigenvalue <= ``degenerate_tol * scale`` (P,
            or 1 for 'ncut') means all pixel vectors are (nearly) equal:
            there is no partition.
        orientation: the sign rule of :func:`orient`.
        affinity: the matrix, one of :data:`AFFINITIES`.
        unit: unit-normalise the pixel vectors (the paper); see
            :func:`unit_pixels`.

    Returns:
        (N, h, w) tensor M* (unit norm over the group), or None when the
        group has no partition (degenerate or non-finite features).
    """
    if solver not in SOLVERS:
        raise ValueError(f'solver must be one of {SOLVERS}, got {solver!r}')
    if solver == 'batched':
        return co_occurrent_masks(feats[None], solver, num_iters, restarts,
                                  dtype, degenerate_tol, orientation, affinity,
                                  unit)[0]
    with torch.no_grad():
        feats = feats.detach()
        if not torch.isfinite(feats).all():
            return None
        n, c, h, w = feats.shape
        x = unit_pixels(feats.to(dtype), unit=unit)
        p = x.shape[1]
        apply, finish, scale = affinity_operator(x, n, affinity)
        if solver == 'dense':
            evals, evecs = torch.linalg.eigh(dense_affinity(x, n, affinity))
            lam, y = evals[-1], evecs[:, -1]
        else:
            lam, y = lanczos_top(apply, p, x.dtype, x.device, num_iters,
                                 restarts)
        if not torch.isfinite(lam) or float(lam) <= degenerate_tol * scale:
            return None
        m = finish(y)
        strength = feats.permute(1, 0, 2, 3).reshape(c, p).norm(dim=0)
        m = orient(m, strength.to(m.dtype), orientation,
                   image_border(n, h, w).to(m.device))
        return m.reshape(n, h, w).to(feats.dtype)


def co_occurrent_masks(groups: torch.Tensor,
                       solver: str = 'lanczos',
                       num_iters: int = 48,
                       restarts: int = 4,
                       dtype: torch.dtype = torch.float64,
                       degenerate_tol: float = 1e-7,
                       orientation: str = 'norm',
                       affinity: str = 'paper',
                       unit: bool = True) -> List[Optional[torch.Tensor]]:
    """:func:`co_occurrent_mask` of G groups of the same size.

    Args:
        groups: (G, N, c, h, w) features; other arguments as
            :func:`co_occurrent_mask`. With ``solver='batched'`` the G
            eigenproblems are one :func:`lanczos_top_batched` solve (the
            GPU's choice: no host read per step); the matrix is applied to
            all groups at once with ``torch.vmap`` over
            :func:`affinity_operator`, so every affinity is the same code as
            per group. Other solvers solve the groups one by one.

    Returns:
        G entries, each an (N, h, w) mask or None (no partition).
    """
    if solver not in SOLVERS:
        raise ValueError(f'solver must be one of {SOLVERS}, got {solver!r}')
    if solver != 'batched':
        return [
            co_occurrent_mask(f, solver, num_iters, restarts, dtype,
                              degenerate_tol, orientation, affinity, unit)
            for f in groups
        ]
    with torch.no_grad():
        groups = groups.detach()
        g, n, c, h, w = groups.shape
        finite = torch.isfinite(groups.flatten(1)).all(1)
        safe = torch.where(finite[:, None, None, None, None], groups,
                           torch.zeros_like(groups)).to(dtype)
        x = torch.stack([unit_pixels(f, unit=unit) for f in safe])
        p = x.shape[2]
        scale = affinity_operator(x[0], n, affinity)[2]

        def apply_one(xi, vi):
            return affinity_operator(xi, n, affinity)[0](vi)

        def finish_one(xi, yi):
            return affinity_operator(xi, n, affinity)[1](yi)

        apply = torch.vmap(apply_one)
        lam, y = lanczos_top_batched(lambda v: apply(x, v), g, p, x.dtype,
                                     x.device, num_iters, restarts)
        m = torch.vmap(finish_one)(x, y)
        strength = safe.permute(0, 2, 1, 3, 4).reshape(g, c, p).norm(dim=1)
        border = image_border(n, h, w).to(m.device)
        keep = (torch.isfinite(lam) & (lam > degenerate_tol * scale)
                & finite).tolist()
        return [
            orient(m[i], strength[i].to(m.dtype), orientation, border).reshape(
                n, h, w).to(groups.dtype) if keep[i] else None
            for i in range(g)
        ]


def enhance(feats: torch.Tensor, mask: torch.Tensor,
            alpha: float) -> torch.Tensor:
    """Eq. (5): F' = F * alpha where M* > 0, else F (gradient flows to F)."""
    scale = torch.where(mask > 0, float(alpha), 1.0).to(feats.dtype)
    return feats * scale[:, None]


class InterMatching(nn.Module):
    """Inter-matching over the groups of a batch (a neck between backbone and
    head).

    The batch holds B groups of N images laid out group by group (the
    ``group_collate`` layout of ``CoOccurrentGroupDataset``); each data sample
    carries ``group_size``, ``group_pos`` and ``shared_labels``. A group whose
    ``shared_labels`` is empty (no class in common) is left unchanged.

    At inference an image has no partner, so by default the module is the
    identity in eval mode. With ``match_at_inference=True`` it matches
    consecutive groups of ``group_size`` images of an eval batch as well (the
    caller then arranges the batch into groups).

    Args:
        alpha (float): feature scale on the co-occurrent side (Eq. 5, 1.5).
        group_size (int): N, used when data samples carry no ``group_size``
            (eval with ``match_at_inference``).
        in_index (int): which backbone output to match (default the last).
        solver (str): 'lanczos' (default), 'batched' (all groups in one
            solve without host reads: the choice on a GPU) or 'dense'.
        num_iters (int), restarts (int): Lanczos settings.
        match_at_inference (bool): see above.
        orientation (str): which side of M* is the object, one of
            :data:`ORIENTATIONS` (see :func:`orient`; default 'norm').
        affinity (str): which matrix's top eigenvector is M*, one of
            :data:`AFFINITIES` (default 'paper', Eq. 4 as written).
        unit (bool): unit pixel vectors (default, the paper) or their raw
            norms kept (:func:`unit_pixels`).

    Input/output: a tuple of (B*N, c_i, h_i, w_i) feature maps; only
    ``in_index`` changes. ``self.last_masks`` keeps the (N, h, w) masks of
    the last call (None for skipped groups) for visualisation.
    """
    needs_data_samples = True

    def __init__(self,
                 alpha: float = 1.5,
                 group_size: int = 2,
                 in_index: int = -1,
                 solver: str = 'lanczos',
                 num_iters: int = 48,
                 restarts: int = 4,
                 match_at_inference: bool = False,
                 orientation: str = 'norm',
                 affinity: str = 'paper',
                 unit: bool = True):
        super().__init__()
        self.unit = unit
        if affinity not in AFFINITIES:
            raise ValueError(f'affinity must be one of {AFFINITIES}, got '
                             f'{affinity!r}')
        self.affinity = affinity
        if orientation not in ORIENTATIONS:
            raise ValueError(f'orientation must be one of {ORIENTATIONS}, '
                             f'got {orientation!r}')
        self.orientation = orientation
        if solver not in SOLVERS:
            raise ValueError(f'solver must be one of {SOLVERS}, got '
                             f'{solver!r}')
        if alpha <= 0:
            raise ValueError(f'alpha must be positive, got {alpha}')
        self.alpha = alpha
        self.group_size = group_size
        self.in_index = in_index
        self.solver = solver
        self.num_iters = num_iters
        self.restarts = restarts
        self.match_at_inference = match_at_inference
        self.last_masks: List[Optional[torch.Tensor]] = []

    def _groups(self, batch: int, data_samples) -> List[Tuple[int, int, bool]]:
        """(start, size, has_shared_class) of each group of the batch."""
        if data_samples is not None and len(data_samples) and \
                'group_size' in data_samples[0].metainfo:
            groups, i = [], 0
            while i < batch:
                s = data_samples[i]
                n = int(s.group_size)
                pos = [int(d.group_pos) for d in data_samples[i:i + n]]
                if pos != list(range(n)):
                    raise ValueError(
                        f'batch is not laid out in groups of {n} at image {i}'
                        f' (group_pos {pos}); use '
                        "collate_fn=dict(type='group_collate')")
                groups.append((i, n, len(s.shared_labels) > 0))
                i += n
            return groups
        if batch % self.group_size:
            raise ValueError(f'batch of {batch} images does not split into '
                             f'groups of {self.group_size}')
        return [(i, self.group_size, True)
                for i in range(0, batch, self.group_size)]

    def forward(self, feats: Sequence[torch.Tensor], data_samples=None):
        feats = tuple(feats)
        self.last_masks = []
        if not self.training and not self.match_at_inference:
            return feats
        if self.training and (data_samples is None or not len(data_samples)
                              or 'group_size' not in data_samples[0].metainfo):
            raise ValueError(
                'InterMatching needs data samples with group metainfo in '
                'training: train on CoOccurrentGroupDataset batches')
        x = feats[self.in_index]
        groups = self._groups(x.shape[0], data_samples)
        masks: List[Optional[torch.Tensor]] = [None] * len(groups)
        for n in sorted({n for _, n, shared in groups if shared}):
            index = [
                i for i, (_, size, shared) in enumerate(groups)
                if shared and size == n
            ]
            solved = co_occurrent_masks(
                torch.stack([x[groups[i][0]:groups[i][0] + n] for i in index]),
                self.solver,
                self.num_iters,
                self.restarts,
                orientation=self.orientation,
                affinity=self.affinity,
                unit=self.unit)
            for i, mask in zip(index, solved):
                masks[i] = mask
        out = []
        for (start, n, _), mask in zip(groups, masks):
            group = x[start:start + n]
            self.last_masks.append(mask)
            out.append(
                group if mask is None else enhance(group, mask, self.alpha))
        feats = list(feats)
        feats[self.in_index] = torch.cat(out)
        return tuple(feats)
