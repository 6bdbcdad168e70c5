"""IRN refinement steps (CAMs -> pseudo masks)."""
from .random_walk import (dense_random_walk, path_affinities, random_walk,
                          search_paths, transition_t, walk_to_labels)

__all__ = [
    'dense_random_walk', 'path_affinities', 'random_walk', 'search_paths',
    'transition_t', 'walk_to_labels'
]
