"""COMNet's matching necks. The modules import torch only; they are
registered here into mmseg's and mmpretrain's registries."""
from comnet_mm.registry import MODELS
from .inter_matching import InterMatching, co_occurrent_mask
from .intra_matching import IntraMatching

MODELS.register_module()(InterMatching)
MODELS.register_module()(IntraMatching)

__all__ = ['InterMatching', 'IntraMatching', 'co_occurrent_mask']
