"""How well the matching modules' raw material finds the objects, measured
on co-occurrent pairs of a split with real masks (any CAM checkpoint, with
or without the matching necks).

* **M* quality** (inter-matching, Eq. 4): over each pair's feature cells,
  the IoU of M* > 0 with the cells of the pair's shared classes, the
  positive fraction, and the rate of *image-vs-image splits*, where one
  image is > 85 % positive and the other < 15 %: the eigenvector then
  separates the images, not object from background.
* **Partner precision** (intra-matching, Eq. 6): the share of a point's k
  partners that carry its own label (background counts as a label), against
  the chance rate, the share of all other points that do; and the
  *background leak*, the share of background points with at least one
  partner on an object: Eq. (8)'s MAX hands such a point the object's
  response, so a leak widens the CAM past the object's edge.

Both read the features the modules read: the backbone's stage
``in_index`` at the model's own input, inter-matching's solver and sign
rule when the model has the neck (defaults otherwise).

With ``variants=True`` the M* quality is also measured for every affinity
and sign rule of the inter-matching neck (``inter/<affinity>/<rule>/...``;
``<affinity>_raw`` without unit-normalising the pixel vectors),
for the sign rule 'cam' (the side where the shared classes' CAM is larger
on average: what the classifier already knows, available only here, where
the head is at hand) and for 'best' (the better of the two signs against
the masks: an upper bound that tells a wrong partition from a wrong sign),
and the partner precision on objects for every partner metric of
intra-matching (``intra/<metric>/fg_precision``).
"""
import itertools
from typing import Dict, List, Sequence, Tuple

import mmcv
import numpy as np
import torch

from comnet_mm.datasets.seg_tag_dataset import read_label_map
from comnet_mm.models.inputs import model_inputs
from comnet_mm.models.necks.inter_matching import (AFFINITIES, ORIENTATIONS,
                                                   co_occurrent_mask)
from comnet_mm.models.necks.intra_matching import METRICS, topk_partners

#: an image this positive, beside one under 1 - this, is an image split
SPLIT = 0.85


def label_cells(label: np.ndarray, hw: Tuple[int, int]) -> np.ndarray:
    """(H, W) label map -> (h, w) by nearest sampling (255 stays ignore)."""
    return mmcv.imresize(
        label.astype(np.uint8), (hw[1], hw[0]), interpolation='nearest')


def mask_quality(positive: np.ndarray, target: np.ndarray,
                 valid: np.ndarray) -> Dict[str, float]:
    """One group's M* > 0 against its shared-class cells.

    Args:
        positive: (N, h, w) bool, M* > 0.
        target: (N, h, w) bool, cells of the group's shared classes.
        valid: (N, h, w) bool, cells not ignored (255) in the masks.

    Returns:
        ``iou``, ``positive`` (fraction of valid cells), ``split`` (1.0 if
        one image is > 85 % positive and another < 15 %, else 0.0).
    """
    p, t = positive & valid, target & valid
    union = (p | t).sum()
    iou = float((p & t).sum() / union) if union else 1.0
    share = [float(p[i].sum() / max(valid[i].sum(), 1)) for i in range(len(p))]
    split = max(share) > SPLIT and min(share) < 1 - SPLIT
    return dict(
        iou=iou,
        positive=float(p.sum() / max(valid.sum(), 1)),
        split=float(split))


def partner_precision(partners: np.ndarray,
                      labels: np.ndarray,
                      foreground: bool = False) -> Tuple[float, float]:
    """Share of partners with the point's own label, and the chance rate.

    Args:
        partners: (P, k) indices of each point's partners.
        labels: (P,) labels of the points; 255 is ignored (as a point and as
            a partner).
        foreground: average over the object points only (label > 0): the
            background, most of the cells, otherwise dominates both numbers.

    Returns:
        (precision, chance), each a mean over the counted points (NaN when
        there are none).
    """
    valid = labels != 255
    points = valid & (labels > 0) if foreground else valid
    if valid.sum() < 2 or not points.any():
        return float('nan'), float('nan')
    own = labels[:, None]
    theirs = labels[partners]
    counted = valid[partners]
    hits = ((theirs == own) & counted).sum(1) / np.maximum(counted.sum(1), 1)
    values, counts = np.unique(labels[valid], return_counts=True)
    same = dict(zip(values.tolist(), counts.tolist()))
    n = int(valid.sum())
    chance = np.array([(same[c] - 1) / (n - 1) for c in labels[points]])
    return float(hits[points].mean()), float(chance.mean())


def background_leak(partners: np.ndarray,
                    labels: np.ndarray) -> Tuple[float, float]:
    """Share of background points (label 0) with at least one partner on an
    object (label > 0; 255 is ignored as a point and as a partner), and the
    chance rate: the same share if each point's k partners were k other
    valid points drawn at random. NaN when there is no background or no
    object point."""
    valid = labels != 255
    bg = valid & (labels == 0)
    obj = valid & (labels > 0)
    if not bg.any() or not obj.any():
        return float('nan'), float('nan')
    leak = obj[partners[bg]].any(1).mean()
    n, o, k = int(valid.sum()) - 1, int(obj.sum()), partners.shape[1]
    # P(no object among k of the n others) = C(n - o, k) / C(n, k)
    none = np.prod([(n - o - i) / (n - i) for i in range(min(k, n))])
    return float(leak), float(1 - max(none, 0.0))


def find_neck(model, name: str):
    """The model's neck of type ``name`` (e.g. ``'IntraMatching'``), or
    None."""
    for neck in getattr(model, 'neck', None) or []:
        if type(neck).__name__ == name:
            return neck
    return None


def co_occurrent_pairs(infos: Sequence[dict], n: int):
    """Up to ``n`` disjoint pairs of images that share a class."""
    pairs, used = [], set()
    for i, a in enumerate(infos):
        for b in infos[i + 1:]:
            if a['img_id'] in used or b['img_id'] in used:
                continue
            shared = set(a['gt_label']) & set(b['gt_label'])
            if shared:
                pairs.append((a, b, sorted(shared)))
                used |= {a['img_id'], b['img_id']}
                break
        if len(pairs) == n:
            break
    return pairs


def variant_qualities(feats: torch.Tensor, cam: torch.Tensor,
                      target: np.ndarray,
                      valid: np.ndarray) -> Dict[str, Dict[str, float]]:
    """M* quality of one group for every affinity and sign rule.

    Args:
        feats: (N, c, h, w) the matched features.
        cam: (N, h, w) the shared classes' CAM at the same cells.
        target, valid: (N, h, w) bool, as :func:`mask_quality`.

    Returns:
        ``{'<affinity>/<rule>': mask_quality(...)}`` for the neck's rules,
        'cam' and 'best', unit pixel vectors; ``'<affinity>_raw/<rule>'``
        the same with ``unit=False``. A degenerate group gives no entry for
        its affinity.
    """
    out = {}
    cam = cam.cpu().numpy()
    for affinity, unit in itertools.product(AFFINITIES, (True, False)):
        name = affinity if unit else f'{affinity}_raw'
        for rule in ORIENTATIONS:
            mask = co_occurrent_mask(
                feats, orientation=rule, affinity=affinity, unit=unit)
            if mask is None:
                break
            out[f'{name}/{rule}'] = mask_quality((mask > 0).cpu().numpy(),
                                                 target, valid)
        else:
            pos = (mask > 0).cpu().numpy()
            neg = (mask < 0).cpu().numpy()
            sides = [
                mask_quality(pos, target, valid),
                mask_quality(neg, target, valid)
            ]
            cam_pos = cam[pos].mean() if pos.any() else -np.inf
            cam_neg = cam[neg].mean() if neg.any() else -np.inf
            out[f'{name}/cam'] = sides[0 if cam_pos >= cam_neg else 1]
            out[f'{name}/best'] = max(sides, key=lambda q: q['iou'])
    return out


@torch.no_grad()
def matching_diagnostics(model,
                         pairs: Sequence[Tuple[dict, dict, List[int]]],
                         size: int,
                         k: int = 8,
                         metric: str = 'l2',
                         variants: bool = False) -> Dict[str, float]:
    """The diagnostics of ``model`` over ``pairs`` (data infos with
    ``img_path`` and ``seg_map_path``, and their shared class indices), each
    image resized to ``size`` x ``size``.

    ``k`` and ``metric`` are the model's intra-matching neck's when it has
    one; ``variants`` adds :func:`variant_qualities`' means (the model's
    head gives the 'cam' rule its class maps, from the last backbone stage,
    resized to the matched cells). Returns means over the pairs (M*) and
    over the images (partners);
    groups without a partition (degenerate features) are counted in
    ``inter/degenerate`` and left out of the M* means.
    """
    model.eval()
    inter = find_neck(model, 'InterMatching')
    intra = find_neck(model, 'IntraMatching')
    if intra is not None:
        k, metric = intra.k, intra.metric
    in_index = inter.in_index if inter is not None else -1
    quality, degenerate, per_variant, per_metric = [], 0, {}, {}
    scores = {'': ([], []), 'fg_': ([], [])}
    leaks = ([], [])
    for a, b, shared in pairs:
        imgs = [
            mmcv.imresize(mmcv.imread(i['img_path']), (size, size))
            for i in (a, b)
        ]
        stages = model.backbone(model_inputs(model, imgs))
        feats = stages[in_index]
        h, w = feats.shape[2:]
        cells = np.stack([
            label_cells(read_label_map(i['seg_map_path']), (h, w))
            for i in (a, b)
        ])
        # mask values are class index + 1
        target = np.isin(cells, [c + 1 for c in shared])
        mask = co_occurrent_mask(
            feats,
            solver=inter.solver if inter is not None else 'lanczos',
            orientation=inter.orientation if inter is not None else 'norm',
            affinity=inter.affinity if inter is not None else 'paper',
            unit=inter.unit if inter is not None else True)
        if variants:
            cam = model.head.class_maps(stages)[:, shared].sum(1)
            cam = torch.nn.functional.interpolate(
                cam[:, None], (h, w), mode='bilinear', align_corners=False)[:,
                                                                            0]
            for key, q in variant_qualities(feats, cam, target,
                                            cells != 255).items():
                per_variant.setdefault(key, []).append(q)
        if mask is None:
            degenerate += 1
        else:
            quality.append(
                mask_quality((mask > 0).cpu().numpy(), target, cells != 255))
        idx = topk_partners(feats.flatten(2).float(), k, metric).cpu().numpy()
        for i in range(len(imgs)):
            for name, (hits, chance) in scores.items():
                p, c = partner_precision(
                    idx[i], cells[i].reshape(-1), foreground=name == 'fg_')
                if not np.isnan(p):
                    hits.append(p)
                    chance.append(c)
            leak, c = background_leak(idx[i], cells[i].reshape(-1))
            if not np.isnan(leak):
                leaks[0].append(leak)
                leaks[1].append(c)
        for other in METRICS if variants else ():
            idx = topk_partners(feats.flatten(2).float(), k,
                                other).cpu().numpy()
            for i in range(len(imgs)):
                p, _ = partner_precision(
                    idx[i], cells[i].reshape(-1), foreground=True)
                if not np.isnan(p):
                    per_metric.setdefault(other, []).append(p)
    out = {
        f'inter/{key}': float(np.mean([q[key] for q in quality]))
        for key in ('iou', 'positive', 'split')
    } if quality else {}
    for name, qs in per_variant.items():
        for key in ('iou', 'positive', 'split'):
            out[f'inter/{name}/{key}'] = float(np.mean([q[key] for q in qs]))
    for other, hits in per_metric.items():
        out[f'intra/{other}/fg_precision'] = float(np.mean(hits))
    out['inter/degenerate'] = float(degenerate)
    out['inter/pairs'] = float(len(pairs))
    out['intra/k'] = float(k)
    for name, (hits, chance) in scores.items():
        out[f'intra/{name}precision'] = float(np.mean(hits) if hits else 'nan')
        out[f'intra/{name}chance'] = float(
            np.mean(chance) if chance else 'nan')
    for key, values in zip(('bg_leak', 'bg_leak_chance'), leaks):
        out[f'intra/{key}'] = float(np.mean(values) if values else 'nan')
    return out
