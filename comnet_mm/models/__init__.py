from .classifiers import CAMClassifier
from .heads import CAMHead, normalize_cams
from .necks import InterMatching, IntraMatching, co_occurrent_mask

__all__ = [
    'CAMClassifier', 'CAMHead', 'normalize_cams', 'InterMatching',
    'IntraMatching', 'co_occurrent_mask'
]
