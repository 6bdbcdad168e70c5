"""IRN's random crop: a fixed-size window, zero padding at a random offset."""
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from comnet_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomCropPad(BaseTransform):
    """Crop a ``crop_size`` window; an image smaller than it lands at a random
    place on a canvas filled with ``pad_val``.

    Written here because the library crops differ in a way that matters for
    CAM training: mmpretrain's ``RandomCrop(pad_if_needed=True)`` centres a
    small image, and mmseg's ``RandomCrop`` + ``Pad`` puts it in the top-left
    corner, so objects near the canvas centre or corner would be
    over-represented. IRN (``imutils.random_crop``) draws the placement.

    Padding with the normalisation mean (the default, in BGR order as loaded)
    makes the padded pixels exactly zero after the data preprocessor
    normalises, which is IRN's zero padding. ``gt_seg_map`` (if present) is
    cropped alike and padded with ``seg_pad_val`` (255, ignored).

    Required keys: ``img``; modified: ``img``, ``img_shape``, ``gt_seg_map``;
    added: ``crop_box`` (x0, y0, x1, y1) of the image content on the canvas.

    Args:
        crop_size (int | tuple[int, int]): (h, w) of the output.
        pad_val (float | tuple): image fill value.
        seg_pad_val (int): mask fill value.
    """

    def __init__(self,
                 crop_size,
                 pad_val=(103.53, 116.28, 123.675),
                 seg_pad_val: int = 255):
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        if len(crop_size) != 2 or min(crop_size) <= 0:
            raise ValueError(f'crop_size must be positive (h, w), got '
                             f'{crop_size}')
        self.crop_size = tuple(int(s) for s in crop_size)
        self.pad_val = pad_val
        self.seg_pad_val = seg_pad_val

    @cache_randomness
    def _offsets(self, h, w):
        """Source and canvas offsets along each axis (IRN's rule)."""
        ch, cw = self.crop_size
        out = []
        for size, crop in ((h, ch), (w, cw)):
            space = size - crop
            if space > 0:  # image larger: crop at a random source offset
                out.append((np.random.randint(space + 1), 0))
            else:  # image smaller: place at a random canvas offset
                out.append((0, np.random.randint(-space + 1)))
        return out

    def _crop(self, arr, offsets, fill):
        ch, cw = self.crop_size
        (sy, cy), (sx, cx) = offsets
        h = min(ch, arr.shape[0] - sy)
        w = min(cw, arr.shape[1] - sx)
        canvas = np.empty((ch, cw) + arr.shape[2:], dtype=arr.dtype)
        canvas[...] = fill
        canvas[cy:cy + h, cx:cx + w] = arr[sy:sy + h, sx:sx + w]
        return canvas, (cx, cy, cx + w, cy + h)

    def transform(self, results: dict) -> dict:
        img = results['img']
        offsets = self._offsets(*img.shape[:2])
        fill = np.asarray(self.pad_val, dtype=np.float32)
        if img.ndim == 2 or fill.size == 1:
            fill = fill.reshape(-1)[0]
        results['img'], box = self._crop(img, offsets, fill)
        if results.get('gt_seg_map') is not None:
            results['gt_seg_map'], _ = self._crop(results['gt_seg_map'],
                                                  offsets, self.seg_pad_val)
        results['img_shape'] = self.crop_size
        results['crop_box'] = box
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'pad_val={self.pad_val}, seg_pad_val={self.seg_pad_val})')
