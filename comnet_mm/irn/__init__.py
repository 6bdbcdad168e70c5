"""IRN refinement steps (CAMs -> seeds -> boundary net -> pseudo masks).

``random_walk`` imports torch and :mod:`comnet_mm.structures` only."""
from .pseudo_labels import (generate_pseudo_labels, run_pseudo_label_stage,
                            score_label_maps, walk_bg_threshold,
                            walk_threshold_sweep)
from .random_walk import (dense_random_walk, random_walk, transition_t,
                          walk_to_labels)
from .seeds import generate_seeds, seed_labels

__all__ = [
    'generate_pseudo_labels', 'run_pseudo_label_stage', 'score_label_maps',
    'walk_bg_threshold', 'walk_threshold_sweep', 'dense_random_walk',
    'random_walk', 'transition_t', 'walk_to_labels', 'generate_seeds',
    'seed_labels'
]
