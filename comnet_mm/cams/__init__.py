from .generation import generate_cams, run_cam_stage, score_cams
from .inference import multiscale_cams, strided_size

__all__ = [
    'generate_cams', 'run_cam_stage', 'score_cams', 'multiscale_cams',
    'strided_size'
]
