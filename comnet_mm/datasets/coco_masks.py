"""COCO 2014 instance annotations -> VOC-style semantic masks (the layout
:class:`COCOTagDataset` and ``COCOObjectSegDataset`` read).

mmseg's converters cover COCO-Stuff only, so this is ours; the polygon and
RLE decoding is pycocotools'.

Rules (those of the COCO masks WSSS works train and score on):
- label ``c + 1`` for class ``c`` of ``COCO_CLASSES`` (matched by category
  name), 0 background;
- objects are painted largest first, so a smaller object on top of a larger
  one keeps its pixels;
- crowd regions are 255 (ignore) where no single object is painted;
- the split list holds the images with at least one non-crowd object (an
  image without tags cannot train a classifier).
"""
import os
import os.path as osp
from typing import List, Tuple

import numpy as np

from comnet_mm.utils.per_image import (png_complete, save_png_atomic,
                                       write_text_atomic)
from .coco import COCO_CLASSES


def category_labels(coco) -> dict:
    """COCO category id -> mask label (1..80) by name."""
    out = {}
    for cat in coco.loadCats(coco.getCatIds()):
        if cat['name'] not in COCO_CLASSES:
            raise ValueError(f'unknown COCO category {cat["name"]!r} '
                             f'(id {cat["id"]})')
        out[cat['id']] = COCO_CLASSES.index(cat['name']) + 1
    return out


def semantic_mask(coco, img_id: int, labels: dict) -> Tuple[np.ndarray, int]:
    """(H, W) uint8 mask of one image and its number of non-crowd objects."""
    info = coco.loadImgs(img_id)[0]
    mask = np.zeros((info['height'], info['width']), np.uint8)
    anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id))
    objects = sorted((a for a in anns if not a.get('iscrowd', 0)),
                     key=lambda a: -a['area'])
    painted = np.zeros(mask.shape, bool)
    for ann in objects:
        m = coco.annToMask(ann).astype(bool)
        mask[m] = labels[ann['category_id']]
        painted |= m
    for ann in anns:
        if ann.get('iscrowd', 0):
            m = coco.annToMask(ann).astype(bool) & ~painted
            mask[m] = 255
    return mask, len(objects)


def convert_split(ann_file: str, out_dir: str, list_file: str) -> List[str]:
    """Write ``<out_dir>/<file stem>.png`` for every image of ``ann_file``
    (atomically; complete PNGs are kept) and the list of images with a tag
    to ``list_file``; return that list."""
    from mmengine.utils import ProgressBar
    from pycocotools.coco import COCO
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'COCO annotation file not found: {ann_file}')
    coco = COCO(ann_file)
    labels = category_labels(coco)
    os.makedirs(out_dir, exist_ok=True)
    tagged = []
    ids = sorted(coco.getImgIds())
    bar = ProgressBar(len(ids))
    for img_id in ids:
        stem = osp.splitext(coco.loadImgs(img_id)[0]['file_name'])[0]
        path = osp.join(out_dir, stem + '.png')
        if png_complete(path):
            n_objects = sum(
                not a.get('iscrowd', 0)
                for a in coco.loadAnns(coco.getAnnIds(imgIds=img_id)))
        else:
            mask, n_objects = semantic_mask(coco, img_id, labels)
            save_png_atomic(path, mask)
        if n_objects:
            tagged.append(stem)
        bar.update()
    os.makedirs(osp.dirname(list_file) or '.', exist_ok=True)
    write_text_atomic(list_file, ''.join(s + '\n' for s in tagged))
    return tagged
