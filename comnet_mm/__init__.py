"""comnet_mm: COMNet (co-occurrent matching) for mmsegmentation users.

Importing the package registers every module into mmseg's and mmpretrain's
registries (see :mod:`comnet_mm.registry`), so configs reach them with
``custom_imports = dict(imports=['comnet_mm'], allow_failed_imports=False)``.
"""
from .engine import allow_mmengine_checkpoints

from . import cams, datasets, evaluation, models  # noqa: F401,E402  (registration)
from .irn import pseudo_labels  # noqa: F401,E402  (registers the IRN hooks)

__version__ = '0.1.0'

allow_mmengine_checkpoints()
