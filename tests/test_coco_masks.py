"""COCO instances -> semantic masks, on a hand-made annotation file."""
import json
import os
import sys

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from conftest import run_tool


def _rle(binary):
    rle = mask_utils.encode(np.asfortranarray(binary.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode()
    return rle


def _ann(i, img, cat, binary, crowd=0):
    return dict(
        id=i,
        image_id=img,
        category_id=cat,
        iscrowd=crowd,
        area=float(binary.sum()),
        bbox=[0, 0, 1, 1],
        segmentation=_rle(binary))


def _write(root, anns_for_split):
    cats = [
        dict(id=1, name='person'),
        dict(id=18, name='dog'),
        dict(id=90, name='toothbrush')
    ]
    os.makedirs(root / 'annotations', exist_ok=True)
    for split, (images, anns) in anns_for_split.items():
        with open(root / 'annotations' / f'instances_{split}2014.json',
                  'w') as f:
            json.dump(
                dict(images=images, annotations=anns, categories=cats), f)


def test_convert_hand_case(tmp_path):
    h, w = 12, 16
    big = np.zeros((h, w), bool)
    big[2:10, 2:14] = True  # person, 96 px
    small = np.zeros((h, w), bool)
    small[4:7, 5:9] = True  # dog on top of the person, 12 px
    crowd = np.zeros((h, w), bool)
    crowd[0:4, 0:16] = True  # crowd of people, partly under person
    brush = np.zeros((h, w), bool)
    brush[1:3, 1:3] = True
    images = [
        dict(
            id=9,
            file_name='COCO_train2014_000000000009.jpg',
            height=h,
            width=w),
        dict(
            id=25,
            file_name='COCO_train2014_000000000025.jpg',
            height=h,
            width=w),
        dict(
            id=30,
            file_name='COCO_train2014_000000000030.jpg',
            height=h,
            width=w)
    ]
    anns = [
        _ann(1, 9, 18, small),
        _ann(2, 9, 1, big),
        _ann(3, 9, 1, crowd, crowd=1),
        _ann(4, 25, 90, brush),
        _ann(5, 30, 1, crowd, crowd=1)
    ]
    _write(tmp_path, {'train': (images, anns)})
    run_tool([
        sys.executable, 'tools/dataset_converters/coco_instances_to_masks.py',
        str(tmp_path), '--splits', 'train'
    ])
    out = tmp_path / 'SegmentationClass' / 'train2014'
    m9 = np.array(Image.open(out / 'COCO_train2014_000000000009.png'))
    want = np.zeros((h, w), np.uint8)
    want[crowd] = 255
    want[big] = 1  # person = COCO_CLASSES[0]
    want[small] = 17  # dog = COCO_CLASSES[16]
    assert np.array_equal(m9, want)
    m25 = np.array(Image.open(out / 'COCO_train2014_000000000025.png'))
    assert set(np.unique(m25)) == {0, 80} and (m25 == 80).sum() == 4
    m30 = np.array(Image.open(out / 'COCO_train2014_000000000030.png'))
    assert set(np.unique(m30)) == {0, 255}
    # the crowd-only image has no tag: not in the list
    lines = open(tmp_path / 'ImageSets' / 'train.txt').read().split()
    assert lines == [
        'COCO_train2014_000000000009', 'COCO_train2014_000000000025'
    ]


def test_unknown_category(tmp_path):
    from pycocotools.coco import COCO

    from comnet_mm.datasets.coco_masks import category_labels
    path = tmp_path / 'a.json'
    path.write_text(
        json.dumps(
            dict(
                images=[],
                annotations=[],
                categories=[dict(id=1, name='dragon')])))
    with pytest.raises(ValueError, match='dragon'):
        category_labels(COCO(str(path)))
