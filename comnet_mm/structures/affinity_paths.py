"""IRN's pixel pairs and the paths between them (``misc/indexing.py``).

Shared by the boundary network's loss (:mod:`comnet_mm.models`) and the
random walk (:mod:`comnet_mm.irn`). This file imports torch only, so the
walk and its benchmark run on a machine without OpenMMLab.
"""
from functools import lru_cache
from typing import List, Tuple

import torch
import torch.nn.functional as F

Offset = Tuple[int, int]


@lru_cache(maxsize=8)
def search_paths(radius: int = 5) -> List[Tuple[Offset, Tuple[Offset, ...]]]:
    """The half-plane offsets and the path pixels of each (IRN's rule).

    Returns:
        list of ``((dy, dx), path)`` where ``path`` lists the (y, x) pixels,
        relative to the source, whose maximum boundary value bounds the
        affinity; it holds the source (0, 0) and the destination (dy, dx).
    """
    offsets = [(0, x) for x in range(1, radius)]
    offsets += [(y, x) for y in range(1, radius)
                for x in range(-radius + 1, radius)
                if x * x + y * y < radius * radius]
    out = []
    for dy, dx in offsets:
        length_sq = dy * dy + dx * dx
        path = []
        for y in range(min(0, dy), max(0, dy) + 1):
            for x in range(min(0, dx), max(0, dx) + 1):
                if (dy * x - dx * y)**2 / length_sq < 1:
                    path.append((y, x))
        out.append(((dy, dx), tuple(path)))
    return out


def path_affinities(boundary: torch.Tensor, radius: int = 5) -> torch.Tensor:
    """Affinity of each pixel with each half-plane neighbour.

    Differentiable in ``boundary`` (the boundary network's loss uses it).

    Args:
        boundary: (..., h, w) boundary map(s) in [0, 1].
        radius: neighbourhood radius (IRN: 5 for the walk, 10 for training).

    Returns:
        (..., D, h, w): ``aff[..., d, y, x]`` = 1 - max boundary on the path
        from (y, x) to (y + dy, x + dx); 0 where the neighbour is outside the
        image.
    """
    h, w = boundary.shape[-2:]
    lead = boundary.shape[:-2]
    r = radius
    flat = boundary.reshape(-1, 1, h, w)
    # pad so every path pixel of an in-image pair is addressable
    padded = F.pad(flat, (r, r, 0, r), value=1.0)[:, 0]
    out = []
    for (dy, dx), path in search_paths(radius):
        worst = padded[:, 0:h, r:r + w]  # the source pixel itself
        for py, px in path:
            worst = torch.maximum(worst, padded[:, py:py + h,
                                                r + px:r + px + w])
        valid = torch.zeros((h, w), dtype=torch.bool, device=boundary.device)
        valid[:max(0, h - dy), max(0, -dx):min(w, w - dx)] = True
        out.append(torch.where(valid, 1.0 - worst, torch.zeros_like(worst)))
    return torch.stack(out, 1).reshape(*lead, len(out), h, w)
