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
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

SOLVERS = ('lanczos', 'dense')
ORIENTATIONS = ('norm', 'minority')


def unit_pixels(feats: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """(N, c, h, w) features -> X (c, N*h*w) with unit-norm columns.

    Columns of all-zero pixels stay zero (no division by zero).
    """
    n, c, h, w = feats.shape
    x = feats.permute(1, 0, 2, 3).reshape(c, n * h * w)
    norm = x.norm(dim=0, keepdim=True)
    return x / norm.clamp_min(eps)


def dense_d_hat(x: torch.Tensor) -> torch.Tensor:
    """D-hat = X^T X - 1 1^T (P x P): the reference, Eq. (4)."""
    return x.t() @ x - 1.0


def _apply_d_hat(x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """D-hat v without forming D-hat: X^T (X v) - 1 (1^T v)."""
    return x.t() @ (x @ v) - v.sum()


def _start_vector(p: int, dtype, device) -> torch.Tensor:
    """A fixed pseudo-random start, the same on every device and call."""
    g = torch.Generator().manual_seed(20240607)
    return torch.rand(
        p, generator=g, dtype=torch.float64).to(
            device=device, dtype=dtype) - 0.5


def lanczos_top_eigenpair(
        x: torch.Tensor,
        num_iters: int = 48,
        restarts: int = 4,
        tol: float = 1e-6) -> Tuple[torch.Tensor, torch.Tensor]:
    """Largest eigenpair of D-hat = X^T X - 1 1^T, matrix-free.

    Lanczos with full re-orthogonalisation; each restart begins from the last
    Ritz vector, until the residual ||D-hat y - lambda y|| is below
    ``tol * max(1, |lambda|)``. Memory is O(num_iters * P) besides X.

    Args:
        x: (c, P) unit pixel vectors.
        num_iters: Krylov dimension per restart (capped at P).
        restarts: restarts at most.
        tol: relative residual to stop at.

    Returns:
        (lambda_1, y): the eigenvalue (scalar tensor) and unit eigenvector
        (P,).
    """
    p = x.shape[1]
    k = min(num_iters, p)
    v = _start_vector(p, x.dtype, x.device)
    lam, y = None, None
    for _ in range(max(1, restarts)):
        basis = torch.zeros(k, p, dtype=x.dtype, device=x.device)
        alphas, betas = [], []
        v = v / v.norm()
        m = k
        for j in range(k):
            basis[j] = v
            w = _apply_d_hat(x, v)
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
        residual = (_apply_d_hat(x, y) - lam * y).norm()
        if residual <= tol * max(1.0, abs(float(lam))) or m < k:
            break
        v = y
    return lam, y


def dense_top_eigenpair(x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Largest eigenpair of the dense D-hat via ``torch.linalg.eigh``."""
    evals, evecs = torch.linalg.eigh(dense_d_hat(x))
    return evals[-1], evecs[:, -1]


def orient(m: torch.Tensor,
           strength: torch.Tensor,
           rule: str = 'norm') -> torch.Tensor:
    """Flip the eigenvector's arbitrary sign so its positive side is the
    object.

    Rule 'norm' (default): the positive side is the one whose pixels have the
    larger mean
    feature norm (before unit normalisation). Backbone features of a
    classifier respond more strongly on the objects it was trained to
    recognise than on background, and the co-occurrent object is what every
    image of the group shares. Rule 'minority': the side with fewer pixels
    is the object (objects usually cover less than the background). On a tie
    (e.g. all norms equal, or equal counts) the side holding the
    largest-magnitude component is made positive, so either rule is
    deterministic.

    Args:
        m: (P,) eigenvector.
        strength: (P,) pixel feature norms.
        rule: 'norm' or 'minority'.
    """
    if rule not in ORIENTATIONS:
        raise ValueError(f'orientation must be one of {ORIENTATIONS}, got '
                         f'{rule!r}')
    pos, neg = m > 0, m < 0
    if rule == 'minority' and int(pos.sum()) != int(neg.sum()):
        return m if pos.sum() < neg.sum() else -m
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
                      orientation: str = 'norm') -> Optional[torch.Tensor]:
    """M* of one group, split per image: Eq. (4), oriented by :func:`orient`.

    Args:
        feats: (N, c, h, w) features of the group's N images.
        solver: 'lanczos' (matrix-free, default) or 'dense' (``eigh`` of the
            P x P matrix, the reference).
        num_iters, restarts: Lanczos settings.
        dtype: precision of the solve (float64 by default: the solve is cheap
            next to the backbone and the mask sign is then stable).
        degenerate_tol: a top eigenvalue <= ``degenerate_tol * P`` means all
            pixel vectors are (nearly) equal: there is no partition.
        orientation: the sign rule of :func:`orient`.

    Returns:
        (N, h, w) tensor M* (unit norm over the group), or None when the
        group has no partition (degenerate or non-finite features).
    """
    if solver not in SOLVERS:
        raise ValueError(f'solver must be one of {SOLVERS}, got {solver!r}')
    with torch.no_grad():
        feats = feats.detach()
        if not torch.isfinite(feats).all():
            return None
        n, c, h, w = feats.shape
        x = unit_pixels(feats.to(dtype))
        if solver == 'dense':
            lam, m = dense_top_eigenpair(x)
        else:
            lam, m = lanczos_top_eigenpair(x, num_iters, restarts)
        p = x.shape[1]
        if not torch.isfinite(lam) or float(lam) <= degenerate_tol * p:
            return None
        strength = feats.permute(1, 0, 2, 3).reshape(c, p).norm(dim=0)
        m = orient(m, strength.to(m.dtype), orientation)
        return m.reshape(n, h, w).to(feats.dtype)


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
        solver (str): 'lanczos' (default) or 'dense'.
        num_iters (int), restarts (int): Lanczos settings.
        match_at_inference (bool): see above.
        orientation (str): which side of M* is the object, 'norm' (default)
            or 'minority' (see :func:`orient`).

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
                 orientation: str = 'norm'):
        super().__init__()
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
        out = []
        for start, n, shared in self._groups(x.shape[0], data_samples):
            group = x[start:start + n]
            mask = co_occurrent_mask(
                group,
                self.solver,
                self.num_iters,
                self.restarts,
                orientation=self.orientation) if shared else None
            self.last_masks.append(mask)
            out.append(
                group if mask is None else enhance(group, mask, self.alpha))
        feats = list(feats)
        feats[self.in_index] = torch.cat(out)
        return tuple(feats)
