"""The bottom layer: atomic files, the per-image loop, checkpoints and CPU
distribution. Imports nothing of comnet_mm (its layer is the bottom one)."""
from .checkpoint import allow_mmengine_checkpoints, mmengine_checkpoint_globals
from .dist import setup_cpu_distributed
from .per_image import (atomic_write, build_split, png_complete, run_per_image,
                        save_npz_atomic, save_png_atomic, stage_model,
                        write_metrics, write_text_atomic)

__all__ = [
    'allow_mmengine_checkpoints', 'mmengine_checkpoint_globals',
    'setup_cpu_distributed', 'atomic_write', 'build_split', 'png_complete',
    'run_per_image', 'save_npz_atomic', 'save_png_atomic', 'stage_model',
    'write_metrics', 'write_text_atomic'
]
