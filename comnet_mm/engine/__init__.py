"""The training-run layer: hooks that run a stage inside mmengine's Runner,
and what the tools share. Sits above cams/ and irn/, whose stages it runs."""
from .hooks import (CAMGenerationHook, GroupEpochHook, PseudoLabelHook,
                    SeedGenerationHook, StageHook)
from .tool_utils import (add_common_args, build_and_load, load_config,
                         stage_tool_setup)

__all__ = [
    'CAMGenerationHook', 'GroupEpochHook', 'PseudoLabelHook',
    'SeedGenerationHook', 'StageHook', 'add_common_args', 'build_and_load',
    'load_config', 'stage_tool_setup'
]
