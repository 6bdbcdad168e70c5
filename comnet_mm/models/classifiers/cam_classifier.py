"""The CAM network: backbone -> (matching) necks -> CAM head."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.registry import DefaultScope
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmpretrain.structures import DataSample

from comnet_mm.registry import MODELS


@MODELS.register_module()
class CAMClassifier(ImageClassifier):
    """mmpretrain's ``ImageClassifier`` with a list of necks that may see the
    batch's data samples.

    COMNet's inter-matching neck needs to know which images form a group and
    which classes the group shares; a neck that sets the class attribute
    ``needs_data_samples = True`` is called as ``neck(feats, data_samples)``,
    any other neck (an mmpretrain or mmseg one) as ``neck(feats)``. Necks run
    in list order. Everything else (data preprocessor, backbone, head, init)
    is mmpretrain's.

    The parts are built in mmpretrain's scope whatever the caller's
    ``default_scope`` is, so the same model dict means the same model in an
    mmseg config (where ``ResNet`` or ``CrossEntropyLoss`` would otherwise be
    mmseg's classes with other arguments). Give a part ``_scope_='mmseg'`` to
    take mmseg's class instead.

    Args:
        backbone (dict): backbone config; output stride 16 for IRN's recipe
            (ResNet ``strides=(1, 2, 2, 1)``), frozen BN via
            ``norm_cfg=dict(type='BN', requires_grad=False), norm_eval=True``,
            frozen early stages via ``frozen_stages``.
        neck (dict | list[dict], optional): neck config(s), applied in order.
        head (dict): a :class:`CAMHead` config.
        **kwargs: ``pretrained``, ``train_cfg``, ``data_preprocessor``,
            ``init_cfg`` as for ``ImageClassifier``.
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[Union[dict, Sequence[dict]]] = None,
                 head: Optional[dict] = None,
                 **kwargs):
        necks = neck if isinstance(neck, (list, tuple)) else \
            ([] if neck is None else [neck])
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            super().__init__(backbone=backbone, neck=None, head=head, **kwargs)
            built = [
                n if isinstance(n, nn.Module) else PRETRAIN_MODELS.build(n)
                for n in necks
            ]
        self.neck = nn.ModuleList(built) if built else None

    def extract_feat(self,
                     inputs: torch.Tensor,
                     stage: str = 'neck',
                     data_samples: Optional[List[DataSample]] = None):
        """Backbone features, passed through the necks unless
        ``stage='backbone'``."""
        if stage not in ('backbone', 'neck', 'pre_logits'):
            raise ValueError(f'invalid stage {stage!r}')
        x = self.backbone(inputs)
        if stage == 'backbone':
            return x
        for neck in self.neck or []:
            if getattr(neck, 'needs_data_samples', False):
                x = neck(x, data_samples)
            else:
                x = neck(x)
        if stage == 'neck':
            return x
        return self.head.pre_logits(x)

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        feats = self.extract_feat(inputs, data_samples=data_samples)
        return self.head.loss(feats, data_samples)

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                **kwargs) -> List[DataSample]:
        feats = self.extract_feat(inputs, data_samples=data_samples)
        return self.head.predict(feats, data_samples, **kwargs)
