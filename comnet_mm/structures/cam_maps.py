"""Class maps and CAM files: the pieces every stage after the classifier
shares (the CAM head, CAM scoring, seeds, the walk, figures). Imports numpy
and torch only."""
import os.path as osp
import zipfile
from typing import Dict

import numpy as np
import torch
import torch.nn.functional as F


def normalize_cams(cams: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """ReLU, then divide each class map by its own maximum (+ ``eps``).

    Args:
        cams: (..., K, h, w) raw class maps.

    Returns:
        Tensor of the same shape with values in [0, 1).
    """
    cams = F.relu(cams)
    peak = cams.flatten(-2).max(-1).values[..., None, None]
    return cams / (peak + eps)


def labels_from_scores(maps: torch.Tensor, keys: torch.Tensor,
                       bg_thr: float) -> torch.Tensor:
    """(K, H, W) class scores of classes ``keys`` (0..C-1) -> (H, W) labels.

    A constant ``bg_thr`` background map goes first; the argmax picks 0
    (background) or ``keys[k] + 1``. The one rule behind CAM scoring, seeds
    and pseudo masks.
    """
    keys = torch.as_tensor(keys).long().to(maps.device)
    bg = torch.full(
        (1, ) + tuple(maps.shape[1:]),
        float(bg_thr),
        dtype=maps.dtype,
        device=maps.device)
    ids = torch.cat([keys.new_zeros(1), keys + 1])
    return ids[torch.cat([bg, maps]).argmax(0)]


CAM_KEYS = ('keys', 'cam', 'high_res')


def load_cams(path: str) -> Dict[str, np.ndarray]:
    """The arrays of a CAM file; errors name the file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'CAM file not found: {path}')
    try:
        with np.load(path, allow_pickle=False) as f:
            out = {k: f[k] for k in CAM_KEYS}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f'CAM file {path} is not a complete CAM file: {e}') \
            from None
    k = len(out['keys'])
    if out['cam'].shape[0] != k or out['high_res'].shape[0] != k:
        raise ValueError(f'CAM file {path}: {k} keys but maps of shapes '
                         f'{out["cam"].shape} and {out["high_res"].shape}')
    return out


def cams_complete(path: str) -> bool:
    try:
        load_cams(path)
        return True
    except (FileNotFoundError, ValueError):
        return False
