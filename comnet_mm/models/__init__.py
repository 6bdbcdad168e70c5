from .classifiers import CAMClassifier
from .heads import CAMHead
from .irn_boundary_net import IRNBoundaryNet, affinity_labels, boundary_loss
from .necks import InterMatching, IntraMatching, co_occurrent_mask
from .segmentors import CRFEncoderDecoder

__all__ = [
    'CAMClassifier', 'CAMHead', 'InterMatching', 'IntraMatching',
    'co_occurrent_mask', 'IRNBoundaryNet', 'affinity_labels', 'boundary_loss',
    'CRFEncoderDecoder'
]
