from .checkpoint import allow_mmengine_checkpoints, mmengine_checkpoint_globals
from .dist import setup_cpu_distributed
from .tool_utils import (add_common_args, build_and_load, load_config,
                         stage_tool_setup)

__all__ = [
    'allow_mmengine_checkpoints', 'mmengine_checkpoint_globals',
    'setup_cpu_distributed', 'add_common_args', 'build_and_load',
    'load_config', 'stage_tool_setup'
]
