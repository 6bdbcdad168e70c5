from .cam_generation_hook import CAMGenerationHook
from .group_epoch_hook import GroupEpochHook
from .pseudo_label_hook import PseudoLabelHook
from .seed_generation_hook import SeedGenerationHook
from .stage_hook import StageHook

__all__ = [
    'CAMGenerationHook', 'GroupEpochHook', 'PseudoLabelHook',
    'SeedGenerationHook', 'StageHook'
]
