"""IRN's inter-pixel relation network, boundary branch only (Ahn et al. 2019).

The frozen CAM backbone's five stages (stem + layer1..4) each go through a
1x1 conv (32 channels), GroupNorm(4) and ReLU, are resized to stride 4 and
fused by a 1x1 conv into one boundary logit map. Training pairs come from the
seeds: pixels within ``radius`` (10) at stride 4 are a positive pair when
both seeds carry the same label (background or foreground), negative when
they differ, ignored when either is 255. The affinity of a pair is 1 - max
boundary on its path
(:func:`comnet_mm.structures.affinity_paths.path_affinities`), and
the loss is IRN's: (bg-pos/2 + fg-pos/2 + neg) / 2 of the mean
-log(aff) / -log(1 - aff) terms. IRN's displacement branch (instances) is
not needed for semantic segmentation and is left out.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS as PRETRAIN_MODELS

from comnet_mm.registry import MODELS
from comnet_mm.structures.affinity_paths import path_affinities, search_paths


def affinity_labels(seeds: torch.Tensor,
                    radius: int = 10,
                    ignore_index: int = 255) -> Tuple[torch.Tensor, ...]:
    """Pair labels of the half-plane neighbours within ``radius``.

    Args:
        seeds: (B, h, w) seed labels at stride 4 (0 bg, 1..C, 255 ignore).

    Returns:
        ``(bg_pos, fg_pos, neg)``, float (B, D, h, w) masks in the layout of
        :func:`path_affinities`.
    """
    b, h, w = seeds.shape
    r = radius
    padded = F.pad(
        seeds[:, None].float(), (r, r, 0, r),
        value=float(ignore_index))[:, 0].long()
    src_ok = seeds != ignore_index
    bg, fg, neg = [], [], []
    for (dy, dx), _ in search_paths(radius):
        dst = padded[:, dy:dy + h, r + dx:r + dx + w]
        valid = src_ok & (dst != ignore_index)
        same = seeds == dst
        bg.append(valid & same & (seeds == 0))
        fg.append(valid & same & (seeds > 0))
        neg.append(valid & ~same)
    return tuple(torch.stack(m, 1).float() for m in (bg, fg, neg))


def boundary_loss(boundary: torch.Tensor,
                  seeds: torch.Tensor,
                  radius: int = 10) -> dict:
    """IRN's balanced affinity loss for (B, h, w) boundary probabilities."""
    aff = path_affinities(boundary, radius)
    bg, fg, neg = affinity_labels(seeds, radius)
    pos_term = -torch.log(aff + 1e-5)
    neg_term = -torch.log(1.0 + 1e-5 - aff)

    def mean(mask, term):
        return (mask * term).sum() / (mask.sum() + 1e-5)

    return dict(
        loss_bg_pos=mean(bg, pos_term) / 4,
        loss_fg_pos=mean(fg, pos_term) / 4,
        loss_neg=mean(neg, neg_term) / 2)


@MODELS.register_module()
class IRNBoundaryNet(BaseModel):
    """Boundary map at stride 4 from a frozen CAM backbone.

    Args:
        backbone (dict): the CAM network's backbone config (mmpretrain
            ``ResNet``); load its weights from the CAM checkpoint with
            ``init_cfg=dict(type='Pretrained', checkpoint=...,
            prefix='backbone.')``.
        in_channels (Sequence[int]): channels of stem, layer1..layer4.
        branch_channels (int): width of each stage's branch (IRN: 32).
        radius (int): pair radius of the training loss (IRN: 10).
        data_preprocessor (dict): e.g. mmseg's ``SegDataPreProcessor``.

    Modes: ``loss`` (seeds in ``data_samples[i].gt_sem_seg``), ``tensor``
    (boundary logits, (B, 1, ceil(H/4), ceil(W/4))); :meth:`boundary_map`
    gives IRN's flip-averaged map of one image.
    """

    def __init__(self,
                 backbone: dict,
                 in_channels: Sequence[int] = (64, 256, 512, 1024, 2048),
                 branch_channels: int = 32,
                 radius: int = 10,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            self.backbone = PRETRAIN_MODELS.build(backbone)
        for p in self.backbone.parameters():
            p.requires_grad = False
        self.branches = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(c, branch_channels, 1, bias=False),
                nn.GroupNorm(4, branch_channels), nn.ReLU(inplace=True))
            for c in in_channels)
        self.fuse = nn.Conv2d(branch_channels * len(in_channels), 1, 1)
        self.radius = radius

    def train(self, mode: bool = True):
        super().train(mode)
        self.backbone.eval()  # frozen, BN statistics included
        return self

    @torch.no_grad()
    def stage_features(self, x: torch.Tensor) -> List[torch.Tensor]:
        """Stem (stride 4) and layer1..4 outputs of the frozen backbone."""
        b = self.backbone
        x = b.maxpool(b.relu(b.norm1(b.conv1(x))))
        feats = [x]
        for name in b.res_layers:
            x = getattr(b, name)(x)
            feats.append(x)
        return feats

    def boundary_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        feats = self.stage_features(inputs)
        size = feats[0].shape[-2:]
        outs = []
        for branch, f in zip(self.branches, feats):
            y = branch(f)
            if y.shape[-2:] != size:
                y = F.interpolate(
                    y, size, mode='bilinear', align_corners=False)
            outs.append(y)
        return self.fuse(torch.cat(outs, 1))

    @torch.no_grad()
    def boundary_map(self, inputs: torch.Tensor) -> torch.Tensor:
        """(1, 3, H, W) normalised image -> (ceil(H/4), ceil(W/4)) boundary
        probabilities, averaging the logits of the image and its flip."""
        logits = self.boundary_logits(torch.cat([inputs, inputs.flip(-1)]))
        return torch.sigmoid(logits[0, 0] / 2 + logits[1, 0].flip(-1) / 2)

    @staticmethod
    def seeds_at_stride4(data_samples, size) -> torch.Tensor:
        """Seed maps of the batch at the boundary map's size (nearest: the
        centre pixel of every 4 x 4 cell, as PIL's nearest x0.25 resize)."""
        h, w = size
        out = []
        for s in data_samples:
            seed = s.gt_sem_seg.data[0].long()[2::4, 2::4][:h, :w]
            seed = F.pad(
                seed, (0, w - seed.shape[1], 0, h - seed.shape[0]), value=255)
            out.append(seed)
        return torch.stack(out)

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        if mode == 'tensor':
            return self.boundary_logits(inputs)
        if mode == 'loss':
            logits = self.boundary_logits(inputs)
            seeds = self.seeds_at_stride4(data_samples, logits.shape[-2:])
            return boundary_loss(
                torch.sigmoid(logits[:, 0]), seeds.to(logits.device),
                self.radius)
        if mode == 'predict':
            logits = self.boundary_logits(inputs)
            for s, lg in zip(data_samples, torch.sigmoid(logits[:, 0])):
                s.set_field(lg, 'boundary')
            return data_samples
        raise RuntimeError(f'invalid mode {mode!r}')
