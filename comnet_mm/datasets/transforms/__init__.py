from .random_crop_pad import RandomCropPad

__all__ = ['RandomCropPad']
