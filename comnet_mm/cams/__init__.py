from .generation import (CAMGenerationHook, generate_cams, load_cams,
                         run_cam_stage, save_npz_atomic, score_cams)
from .inference import multiscale_cams, strided_size

__all__ = [
    'CAMGenerationHook', 'generate_cams', 'load_cams', 'run_cam_stage',
    'save_npz_atomic', 'score_cams', 'multiscale_cams', 'strided_size'
]
