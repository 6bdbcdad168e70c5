"""IRN refinement steps (CAMs -> seeds -> boundary net -> pseudo masks).

``random_walk`` imports torch only; the other steps need the OpenMMLab stack
and are imported on first use of :mod:`comnet_mm.irn.pseudo_labels` (which
``import comnet_mm`` does, to register the hooks)."""
from .random_walk import (dense_random_walk, path_affinities, random_walk,
                          search_paths, transition_t, walk_to_labels)

__all__ = [
    'dense_random_walk', 'path_affinities', 'random_walk', 'search_paths',
    'transition_t', 'walk_to_labels'
]
