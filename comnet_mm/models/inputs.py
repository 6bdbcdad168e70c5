"""The one way an image becomes model input at inference: the model's own
``data_preprocessor``, exactly as training calls it.

CAM inference, the boundary map of the pseudo-mask step and the figures all
go through :func:`model_inputs`, so a preprocessor option (channel order,
mean, std) means the same thing at training and at inference. Hand-written
normalisation once fed the boundary network BGR images normalised with the
RGB mean: mmpretrain calls the channel flag ``_channel_conversion``, mmseg
``channel_conversion``, and only one was read.
"""
from typing import Sequence, Union

import numpy as np
import torch

Image = Union[np.ndarray, torch.Tensor]


def model_inputs(model, images: Sequence[Image]) -> torch.Tensor:
    """Images as the model's ``data_preprocessor`` feeds them (eval mode).

    Args:
        model: a model with a ``data_preprocessor`` (mmpretrain's
            ``ClsDataPreprocessor``, mmseg's ``SegDataPreProcessor``, ...).
        images: same-sized images as loaded by ``LoadImageFromFile``: (H, W,
            3) uint8 BGR arrays, or (3, H, W) tensors in that channel order
            (what ``PackInputs`` / ``PackSegInputs`` make of them).

    Returns:
        (N, 3, H, W) float tensor on the model's device.
    """
    views = [
        im if isinstance(im, torch.Tensor) else torch.from_numpy(
            np.ascontiguousarray(im)).permute(2, 0, 1) for im in images
    ]
    return model.data_preprocessor(dict(inputs=views), False)['inputs']
