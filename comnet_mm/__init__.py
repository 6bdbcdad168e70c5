"""comnet_mm: COMNet (co-occurrent matching) for mmsegmentation users.

Importing the package registers every module into mmseg's and mmpretrain's
registries (see :mod:`comnet_mm.registry`), so configs reach them with
``custom_imports = dict(imports=['comnet_mm'], allow_failed_imports=False)``.

The layers import one way: ``registry``, ``utils``, ``structures`` ->
``datasets``, ``models``, ``evaluation`` -> ``cams`` -> ``irn`` ->
``engine`` (hooks, tool helpers) -> ``visualization``, ``pipeline`` ->
``tools/`` (``tests/test_layers.py`` checks it).
"""
from . import (cams, datasets, engine, evaluation, irn, models, structures,
               utils)
from .utils import allow_mmengine_checkpoints

__all__ = [
    'cams', 'datasets', 'engine', 'evaluation', 'irn', 'models', 'structures',
    'utils'
]

__version__ = '0.1.0'

allow_mmengine_checkpoints()
