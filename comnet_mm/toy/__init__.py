from .generator import (CLASS_NAMES, ToyVOCConfig, border_band, generate,
                        make_sample, voc_palette)

__all__ = [
    'CLASS_NAMES', 'ToyVOCConfig', 'border_band', 'generate', 'make_sample',
    'voc_palette'
]
