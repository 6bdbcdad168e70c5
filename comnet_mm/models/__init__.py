from .classifiers import CAMClassifier
from .heads import CAMHead, normalize_cams

__all__ = ['CAMClassifier', 'CAMHead', 'normalize_cams']
