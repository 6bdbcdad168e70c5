"""The bottom layer's operations on maps: class maps, CAM files, IRN's
pixel paths and the dense CRF. Imports numpy, torch and pydensecrf only."""
from .affinity_paths import path_affinities, search_paths
from .cam_maps import (CAM_KEYS, cams_complete, labels_from_scores, load_cams,
                       normalize_cams)
from .crf import crf_labels, crf_probs

__all__ = [
    'path_affinities', 'search_paths', 'CAM_KEYS', 'cams_complete',
    'labels_from_scores', 'load_cams', 'normalize_cams', 'crf_labels',
    'crf_probs'
]
