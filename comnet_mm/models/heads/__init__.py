from .cam_head import CAMHead, normalize_cams

__all__ = ['CAMHead', 'normalize_cams']
