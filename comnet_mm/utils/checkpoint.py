"""Resume mmengine checkpoints under torch's weights-only loading.

torch >= 2.6 loads with ``weights_only=True`` by default and mmengine 0.10.7
passes nothing, so ``--resume`` stops at "Unsupported global" for the objects
mmengine itself writes into a checkpoint. Rather than switching weights-only
loading off, we allow exactly those types: the message hub's
``HistoryBuffer`` and the numpy arrays, dtypes and scalars it and the runtime
info hold, plus ``builtins.getattr``, which pickle uses to name the
``HistoryBuffer.min``/``max``/... methods a buffer keeps in its
``statistics_methods``. (The weights-only unpickler only *calls* allow-listed
callables, so ``getattr`` can look attributes up but nothing it returns can be
invoked.) Anything else in a checkpoint is still refused.
"""
import builtins
from typing import List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer


def mmengine_checkpoint_globals() -> List[object]:
    """The non-tensor types an mmengine 0.10 training checkpoint holds."""
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    dtypes = [
        type(np.dtype(t))
        for t in (np.float64, np.float32, np.float16, np.int64, np.int32,
                  np.int8, np.uint8, np.bool_)
    ]
    return [
        HistoryBuffer, builtins.getattr, np.ndarray, np.dtype, _reconstruct,
        scalar
    ] + dtypes


def allow_mmengine_checkpoints():
    """Add :func:`mmengine_checkpoint_globals` to torch's safe globals."""
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(mmengine_checkpoint_globals())
