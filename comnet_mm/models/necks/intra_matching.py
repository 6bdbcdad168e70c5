"""Single-image intra-matching (COMNet Sec. III-B, Eq. 6-8).

This file imports torch only (see inter_matching.py for why); the neck is
registered in ``comnet_mm/models/necks/__init__.py``.

For one image's features F' (c x P points, P = h*w):

* G = F'^T F' (P x P, Eq. 6) with the diagonal set to -inf, so a point never
  matches itself;
* each point i takes the indices of its top-k entries in row i of G;
* p'_i = MAX_{j in topk(i)} MLP(p_j) (Eq. 7-8, element-wise max), and the
  result is reshaped back to c' x h x w.

Because the MLP acts on each point alone, MLP(p_j) is the same whichever point
gathers it: we run the MLP once on the P points and gather its outputs,
instead of running it on the P*k gathered copies (k times less MLP work and
no P*k*c' activation kept for backward). The max is taken without autograd
on gathered values (in chunks of points); its winner indices then gather the
output, so autograd keeps one int64 index per output value, and gradients
reach exactly the winning partner, as the naive max would route them.
The equality holds for every layer that acts on one point at a time (linear
layers, activations, BatchNorm in eval mode); BatchNorm in *training* mode
normalises with the statistics of what it sees, which here are the P points of
the map (the naive version would see the P*k gathered copies, counting popular
partners several times).

Memory, for one 32 x 32 x 2048 map (P = 1024), k = 8, fp32, MLP one layer
2048 -> 2048 with BN and ReLU: the forward holds X (8 MiB), G (4 MiB), the
top-k indices (64 KiB), the MLP output (8 MiB), the output (8 MiB) and a
transient gathered block of c' x chunk x k x 4 B (16 MiB at the default chunk
of 256 points). Autograd keeps 64 MiB for backward: the MLP's input, BN and
ReLU tensors (8 MiB each), the 1x1 conv weight (16 MiB) and the int64 winner
indices (16 MiB). The naive version keeps 224 MiB (its MLP runs on the 64 MiB
gathered copies) and is about 6x slower on 2 CPU cores.
``benchmarks/bench_intra_matching.py`` measures it.
"""
from typing import Optional, Sequence

import torch
import torch.nn as nn

NORMS = {'BN': nn.BatchNorm2d, 'GN': lambda c: nn.GroupNorm(32, c), None: None}
ACTS = {'ReLU': nn.ReLU, 'GELU': nn.GELU, None: None}


def build_point_mlp(in_channels: int,
                    channels: Sequence[int],
                    norm: Optional[str] = 'BN',
                    act: Optional[str] = 'ReLU') -> nn.Sequential:
    """A point-wise MLP as 1x1 convs: Linear [-> norm] [-> act] per layer.

    Args:
        in_channels: c of the input points.
        channels: output channels of each layer (the last is c').
        norm: 'BN', 'GN' or None after each linear layer.
        act: 'ReLU', 'GELU' or None after each layer.
    """
    if norm not in NORMS or act not in ACTS:
        raise ValueError(f'norm must be one of {list(NORMS)} and act one of '
                         f'{list(ACTS)}, got {norm!r}, {act!r}')
    if not channels:
        raise ValueError('the MLP needs at least one layer (channels)')
    layers, c = [], in_channels
    for out in channels:
        layers.append(nn.Conv2d(c, out, 1, bias=norm is None))
        if norm is not None:
            layers.append(NORMS[norm](out))
        if act is not None:
            layers.append(ACTS[act]())
        c = out
    return nn.Sequential(*layers)


METRICS = ('l2', 'dot', 'cosine')


def topk_partners(x: torch.Tensor, k: int, metric: str = 'l2') -> torch.Tensor:
    """Indices of each point's k most similar other points (Eq. 6).

    The paper writes G = F'^T F' and says it uses the l2 distance. With
    unnormalised features the two rank partners differently: the largest
    dot products go to the points of largest norm (every point picks the
    same few "hubs"), the l2 nearest neighbours are the points most alike.
    ``metric`` chooses: 'l2' (rank by -||p_i - p_j||^2, computed from G as
    2 G_ij - ||p_j||^2, the row-constant term dropped), 'dot' (G itself,
    Eq. 6 literally) or 'cosine' (G of unit vectors).

    Args:
        x: (B, c, P) points.
        k: partners per point.
        metric: 'l2', 'dot' or 'cosine'.

    Returns:
        (B, P, k) int64 indices into P, never the point itself.
    """
    p = x.shape[-1]
    if not 1 <= k < p:
        raise ValueError(f'intra-matching needs 1 <= k < number of points: '
                         f'k={k}, the feature map has {p} points')
    if metric not in METRICS:
        raise ValueError(f'metric must be one of {METRICS}, got {metric!r}')
    if metric == 'cosine':
        x = x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)
    g = x.transpose(1, 2) @ x  # (B, P, P)
    if metric == 'l2':
        g = 2 * g - (x * x).sum(1)[:, None, :]
    g.diagonal(dim1=1, dim2=2).fill_(float('-inf'))
    return g.topk(k, dim=-1).indices


def max_over_partners(h: torch.Tensor,
                      idx: torch.Tensor,
                      chunk: int = 256) -> torch.Tensor:
    """out[b, :, i] = max_j h[b, :, idx[b, i, j]] (element-wise, Eq. 8).

    Args:
        h: (B, c', P) MLP outputs of all points.
        idx: (B, P, k) partner indices.
        chunk: points per block for the no-grad max.

    Returns:
        (B, c', P), differentiable with respect to ``h``.
    """
    b, c, p = h.shape
    k = idx.shape[-1]
    winner = torch.empty(b, c, p, dtype=torch.int64, device=h.device)
    with torch.no_grad():
        hd = h.detach()
        for s in range(0, p, chunk):
            sub = idx[:, s:s + chunk]  # (B, n, k)
            n = sub.shape[1]
            flat = sub.reshape(b, 1, n * k).expand(b, c, n * k)
            vals = hd.gather(2, flat).view(b, c, n, k)
            arg = vals.argmax(-1, keepdim=True)  # (B, c, n, 1)
            winner[:, :, s:s + n] = flat.view(b, c, n,
                                              k).gather(3, arg).squeeze(3)
    return h.gather(2, winner)


class IntraMatching(nn.Module):
    """Intra-matching neck: every point becomes the max of its top-k
    partners' MLP outputs.

    Args:
        in_channels (int): c of the matched feature map.
        mlp_channels (Sequence[int]): MLP layer widths; the last is the output
            width (default: one layer back to ``in_channels``).
        k (int): partners per point (Table IV: 8).
        norm (str | None), act (str | None): MLP norm and activation.
        in_index (int): which backbone output to match (default the last).
        chunk (int): points per block of the no-grad max.
        apply_at_inference (bool): run in eval mode too (default True: the
            classifier was trained on matched features, so CAMs use them).
        metric (str): partner ranking, 'l2' (default, the paper's stated
            metric), 'dot' (Eq. 6 literally) or 'cosine'; see
            :func:`topk_partners`.

    Input/output: a tuple of (B, c_i, h_i, w_i) maps; ``in_index`` becomes
    (B, c', h, w). ``self.last_partners`` keeps the (B, P, k) indices of the
    last call for visualisation (Fig. 4).
    """

    def __init__(self,
                 in_channels: int,
                 mlp_channels: Optional[Sequence[int]] = None,
                 k: int = 8,
                 norm: Optional[str] = 'BN',
                 act: Optional[str] = 'ReLU',
                 in_index: int = -1,
                 chunk: int = 256,
                 apply_at_inference: bool = True,
                 metric: str = 'l2'):
        super().__init__()
        if k < 1:
            raise ValueError(f'k must be >= 1, got {k}')
        if metric not in METRICS:
            raise ValueError(f'metric must be one of {METRICS}, got '
                             f'{metric!r}')
        self.metric = metric
        self.k = k
        self.in_index = in_index
        self.chunk = chunk
        self.apply_at_inference = apply_at_inference
        self.mlp = build_point_mlp(in_channels,
                                   list(mlp_channels or [in_channels]), norm,
                                   act)
        self.last_partners = None

    def match(self, x: torch.Tensor) -> torch.Tensor:
        """(B, c, h, w) -> (B, c', h, w) by Eq. (6)-(8)."""
        b, c, h, w = x.shape
        points = x.flatten(2)
        with torch.no_grad():
            idx = topk_partners(points.detach(), self.k, self.metric)
        self.last_partners = idx
        out = self.mlp(x).flatten(2)  # MLP once per point
        out = max_over_partners(out, idx, self.chunk)
        return out.view(b, -1, h, w)

    def forward(self, feats: Sequence[torch.Tensor]):
        feats = list(feats)
        if self.training or self.apply_at_inference:
            feats[self.in_index] = self.match(feats[self.in_index])
        return tuple(feats)
