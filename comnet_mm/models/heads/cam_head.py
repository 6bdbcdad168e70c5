"""CAM head: 1x1 conv without bias + global average pooling (IRN / COMNet
Eq. 9)."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import MultiLabelClsHead
from mmpretrain.structures import DataSample, label_to_onehot

from comnet_mm.registry import MODELS
from comnet_mm.structures.cam_maps import normalize_cams


@MODELS.register_module()
class CAMHead(MultiLabelClsHead):
    """Multi-label classifier whose weights turn feature maps into CAMs.

    ``logits = conv1x1(GAP(F))`` with ``F`` the last feature map, which equals
    ``GAP(conv1x1(F))``: the class activation maps are ``conv1x1(F)``. The
    loss is the multi-label soft-margin loss (COMNet Eq. 9): mmpretrain's
    ``CrossEntropyLoss(use_sigmoid=True)`` averaged over batch *and* classes
    (mmpretrain's own head averages over the batch only, C times larger).

    Args:
        num_classes (int): foreground classes C.
        in_channels (int): channels of the last feature map.
        loss (dict): loss config, sigmoid cross-entropy by default.
        thr (float, optional), topk (int, optional): how ``pred_label`` is
            chosen (see mmpretrain's ``MultiLabelClsHead``).
        init_cfg (dict, optional): initialisation of the 1x1 conv.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 loss: dict = dict(type='CrossEntropyLoss', use_sigmoid=True),
                 thr: Optional[float] = None,
                 topk: Optional[int] = None,
                 init_cfg: Optional[dict] = dict(
                     type='Xavier', layer='Conv2d')):
        super().__init__(loss=loss, thr=thr, topk=topk, init_cfg=init_cfg)
        if num_classes <= 0:
            raise ValueError(f'num_classes must be positive, got '
                             f'{num_classes}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.classifier = nn.Conv2d(in_channels, num_classes, 1, bias=False)

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """(B, C_in, h, w) last feature map -> (B, C) logits."""
        x = self.pre_logits(feats)
        x = F.adaptive_avg_pool2d(x, 1)
        return self.classifier(x).flatten(1)

    def class_maps(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """(B, C_in, h, w) last feature map -> (B, C, h, w) raw class maps."""
        return self.classifier(self.pre_logits(feats))

    def _get_loss(self, cls_score: torch.Tensor,
                  data_samples: List[DataSample], **kwargs) -> dict:
        target = torch.stack([self._target(s) for s in data_samples])
        loss = self.loss_module(
            cls_score, target, avg_factor=cls_score.numel(), **kwargs)
        return dict(loss=loss)

    def _target(self, sample: DataSample) -> torch.Tensor:
        if 'gt_score' in sample:
            return sample.gt_score.float()
        return label_to_onehot(sample.gt_label, self.num_classes).float()

    def predict(
        self,
        feats: Tuple[torch.Tensor],
        data_samples: Optional[Sequence[DataSample]] = None
    ) -> List[DataSample]:
        """Class scores and CAMs.

        Each returned sample holds ``pred_score`` (C,), ``pred_label``, and
        ``cams`` (K, h, w): the normalised CAMs (:func:`normalize_cams`) of
        the image's K classes, listed in ``cam_labels`` (K,). The image's
        classes are its ``gt_label`` when present, else its ``pred_label``.
        """
        cls_score = self(feats)
        samples = self._get_predictions(cls_score, data_samples)
        cams = normalize_cams(self.class_maps(feats).detach())
        for sample, cam in zip(samples, cams):
            labels = sample.gt_label if 'gt_label' in sample \
                else sample.pred_label
            labels = labels.to(cam.device).long()
            sample.set_field(cam[labels], 'cams')
            sample.set_field(labels, 'cam_labels')
        return samples
