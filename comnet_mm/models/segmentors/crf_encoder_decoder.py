"""mmseg's EncoderDecoder with optional dense-CRF post-processing at test
time (the pseudo-mask stage's CRF, :func:`comnet_mm.structures.crf.crf_probs`).

mmseg has no test-time CRF; this subclass only refines what
``EncoderDecoder.postprocess_result`` already produced, so training, slide /
whole inference, flip and TTA are mmseg's own.
"""
from typing import Optional

import mmcv
import torch
from mmengine.structures import PixelData
from mmseg.models.segmentors import EncoderDecoder

from comnet_mm.registry import MODELS
from comnet_mm.structures.crf import crf_probs


@MODELS.register_module()
class CRFEncoderDecoder(EncoderDecoder):
    """``EncoderDecoder`` + ``crf``: ``None`` (off, the default: identical
    to ``EncoderDecoder``) or a dict of :func:`crf_probs` arguments (``{}``
    for IRN's parameters: 10 iterations, Gaussian sxy 3 / compat 3, bilateral
    sxy 50 / srgb 5 / compat 10).

    With ``crf`` set, each prediction becomes the argmax of the CRF marginals
    computed from softmax(seg_logits) at the original image size (C, H, W)
    and the original image (read again from ``img_path``, RGB).
    ``seg_logits`` is left as the network produced it.
    """

    def __init__(self, *args, crf: Optional[dict] = None, **kwargs):
        super().__init__(*args, **kwargs)
        if crf is not None and not isinstance(crf, dict):
            raise TypeError(f'crf must be None or a dict of crf_probs '
                            f'arguments, got {crf!r}')
        self.crf = crf

    def postprocess_result(self, seg_logits, data_samples=None):
        had_samples = data_samples is not None
        data_samples = super().postprocess_result(seg_logits, data_samples)
        if self.crf is None:
            return data_samples
        if not had_samples:
            raise ValueError('CRF post-processing needs the data samples '
                             '(img_path) to read the original image')
        if self.out_channels == 1:
            raise ValueError('CRF post-processing needs one output channel '
                             'per class (out_channels > 1)')
        for sample in data_samples:
            path = sample.metainfo.get('img_path')
            if path is None:
                raise ValueError('CRF post-processing needs img_path in the '
                                 'data sample')
            img = mmcv.imread(path, channel_order='rgb')
            if img is None:
                raise ValueError(f'image {path} cannot be read')
            logits = sample.seg_logits.data
            probs = logits.float().softmax(0).cpu().numpy()
            if probs.shape[1:] != img.shape[:2]:
                raise ValueError(
                    f'prediction {tuple(probs.shape[1:])} and image {path} '
                    f'{img.shape[:2]} differ in size')
            q = crf_probs(img, probs, **self.crf)
            pred = torch.from_numpy(q.argmax(0)).to(logits.device)
            sample.set_data(dict(pred_sem_seg=PixelData(data=pred[None])))
        return data_samples
