"""IRN's random walk over boundary-aware affinities, without the dense matrix.

This file imports torch and :mod:`comnet_mm.structures` only (benchmarks
load it on a machine without OpenMMLab, see ``benchmarks/_load.py``).

IRN (Ahn et al., CVPR 2019, ``misc/indexing.py``) at stride 4, for an
h x w boundary map B in [0, 1] and the K class maps of an image:

* each pixel is linked to the 34 offsets d = (dy, dx) of the half plane
  (dy > 0, or dy = 0 and dx > 0) with dy^2 + dx^2 < r^2, r = 5, and to the
  same offsets reversed: 68 neighbours plus itself;
* the affinity of a pair is 1 - max B over the pixels of the path between
  them (pixels of the pair's bounding box within distance 1 of the segment,
  both ends included); a pixel's affinity with itself is 1;
* T = A^beta with every column divided by its sum (beta = 10);
* the CAMs are damped on boundaries, x = cams * (1 - B), and the walk is
  x (K x hw) times T^(2^8), which IRN computes by squaring the dense
  hw x hw matrix 8 times (11,750^2 entries for a 500 x 375 image).

Here the walk applies T 256 times to the K class maps at once as a sparse
CSR product (torch.sparse; 69 slots per row, built in a fixed layout), so
memory is O(69 hw) and time O(256 * 69 * hw * K). A is symmetric, so
x T = (T^T x^T)^T with
T^T = A^beta divided row-wise by the column sums of A^beta.
"""
from typing import Tuple

import torch
import torch.nn.functional as F

from comnet_mm.structures.affinity_paths import path_affinities, search_paths
from comnet_mm.structures.cam_maps import labels_from_scores


def _pair_indices(h: int, w: int, radius: int, device):
    """Flat (src, dst) indices of each pixel and its half-plane neighbours
    (dst clamped into the image where the neighbour is outside)."""
    ys, xs = torch.meshgrid(
        torch.arange(h, device=device),
        torch.arange(w, device=device),
        indexing='ij')
    src, dst = [], []
    for (dy, dx), _ in search_paths(radius):
        src.append(ys * w + xs)
        dst.append((ys + dy).clamp(max=h - 1) * w + (xs + dx).clamp(0, w - 1))
    return torch.stack(src), torch.stack(dst)  # (D, h, w) each


def transition_t(boundary: torch.Tensor,
                 beta: float = 10.0,
                 radius: int = 5) -> torch.Tensor:
    """T^T as a sparse CSR (hw x hw) matrix: T = A^beta / column sums.

    Row j holds exactly 1 + 2D slots: pixel j itself, its D half-plane
    neighbours j + d and the D pixels j - d that have j as neighbour (slots
    of neighbours outside the image hold a 0). The CSR arrays are built in
    that fixed layout, without sorting or coalescing, so the matrix costs
    (1 + 2D) * hw values and column indices and nothing more. Because A is
    symmetric, the column sums of A^beta are the sums of these rows.

    Args:
        boundary: (h, w) boundary map in [0, 1].
        beta: affinity exponent (IRN: 10).
        radius: neighbourhood radius (IRN: 5).
    """
    h, w = boundary.shape
    n = h * w
    fwd = path_affinities(boundary, radius).pow(beta)  # (D, h, w)
    bwd = torch.zeros_like(fwd)
    offsets = [d for d, _ in search_paths(radius)]
    for k, (dy, dx) in enumerate(offsets):
        # the pair (p - d, p) has the affinity stored at p - d
        bwd[k, dy:, max(0, dx):min(w, w + dx)] = \
            fwd[k, :h - dy, max(0, -dx):min(w - dx, w)]
    vals = torch.cat([torch.ones_like(fwd[:1]), fwd, bwd])
    vals = vals.reshape(len(vals), n).t()  # (n, 1 + 2D)
    vals = vals / vals.sum(1, keepdim=True)
    # int32 indices: half the memory of int64, enough below 2^31 entries
    itype = torch.int32 if vals.numel() < 2**31 else torch.int64
    idx = torch.arange(n, device=boundary.device, dtype=itype).view(h, w)
    ys, xs = idx // w, idx % w
    cols = torch.empty((n, vals.shape[1]), dtype=itype, device=boundary.device)
    cols[:, 0] = idx.reshape(-1)
    k = 1
    for sign in (1, -1):
        for dy, dx in offsets:
            ty, tx = ys + sign * dy, xs + sign * dx
            inside = (ty >= 0) & (ty < h) & (tx >= 0) & (tx < w)
            cols[:, k] = torch.where(inside, ty * w + tx, idx).reshape(-1)
            k += 1
    crow = torch.arange(
        0,
        vals.numel() + 1,
        vals.shape[1],
        device=boundary.device,
        dtype=itype)
    return torch.sparse_csr_tensor(crow, cols.reshape(-1),
                                   vals.reshape(-1).contiguous(), (n, n))


def random_walk(cams: torch.Tensor,
                boundary: torch.Tensor,
                beta: float = 10.0,
                steps: int = 256,
                radius: int = 5) -> torch.Tensor:
    """Propagate CAMs over the boundary-aware transition matrix.

    Args:
        cams: (K, h, w) class maps at stride 4.
        boundary: (h, w) boundary map in [0, 1] at the same size.
        beta: affinity exponent (IRN: 10).
        steps: applications of T (IRN: 2^8 = 256).
        radius: neighbourhood radius (IRN: 5).

    Returns:
        (K, h, w): ``(cams * (1 - boundary)) @ T^steps``.
    """
    if cams.shape[-2:] != boundary.shape:
        raise ValueError(f'CAMs {tuple(cams.shape)} and boundary '
                         f'{tuple(boundary.shape)} differ in size')
    k, h, w = cams.shape
    t_t = transition_t(boundary.to(cams.dtype), beta, radius)
    z = (cams * (1 - boundary.to(cams.dtype))).reshape(k, h * w).t()
    z = z.contiguous()
    for _ in range(steps):
        z = torch.sparse.mm(t_t, z)
    return z.t().reshape(k, h, w)


def dense_random_walk(cams: torch.Tensor,
                      boundary: torch.Tensor,
                      beta: float = 10.0,
                      exp_times: int = 8,
                      radius: int = 5) -> torch.Tensor:
    """IRN's dense computation (the reference): T squared ``exp_times``
    times. Holds several (hw)^2 matrices; use on small maps only."""
    k, h, w = cams.shape
    n = h * w
    aff = path_affinities(boundary.to(cams.dtype), radius)
    src, dst = _pair_indices(h, w, radius, boundary.device)
    dense = torch.eye(n, dtype=cams.dtype, device=cams.device)
    keep = aff > 0
    dense[src[keep], dst[keep]] = aff[keep]
    dense[dst[keep], src[keep]] = aff[keep]
    trans = dense.pow(beta)
    trans = trans / trans.sum(0, keepdim=True)
    for _ in range(exp_times):
        trans = trans @ trans
    x = (cams * (1 - boundary.to(cams.dtype))).reshape(k, n)
    return (x @ trans).reshape(k, h, w)


def walk_to_labels(walked: torch.Tensor,
                   keys: torch.Tensor,
                   image_size: Tuple[int, int],
                   bg_thr: float = 0.25) -> torch.Tensor:
    """Random-walk maps -> label map, IRN's last step.

    Upsample x4 (bilinear), crop to the image, divide by the global max,
    put a constant ``bg_thr`` background first, argmax, map to class ids.

    Args:
        walked: (K, h, w) output of :func:`random_walk`.
        keys: (K,) foreground class indices (0..C-1) of the K maps.
        image_size: (H, W) of the image; H <= 4h, W <= 4w.
        bg_thr: background score (IRN: 0.25).

    Returns:
        (H, W) int64 labels: 0 background, c + 1 for class index c.
    """
    height, width = image_size
    up = F.interpolate(
        walked[None], scale_factor=4, mode='bilinear',
        align_corners=False)[0, :, :height, :width]
    up = up / up.max().clamp_min(1e-30)
    return labels_from_scores(up, keys, bg_thr)
