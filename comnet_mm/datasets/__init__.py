from .coco import COCO_CLASSES, COCOObjectSegDataset, COCOTagDataset
from .group_dataset import CoOccurrentGroupDataset, group_collate
from .seg_tag_dataset import (SegTagDataset, read_label_map, read_split,
                              tags_from_label_map)
from .transforms import RandomCropPad
from .voc import VOC_CLASSES, VOCTagDataset

__all__ = [
    'COCO_CLASSES', 'COCOObjectSegDataset', 'COCOTagDataset',
    'CoOccurrentGroupDataset', 'group_collate', 'SegTagDataset',
    'read_label_map', 'read_split', 'tags_from_label_map', 'RandomCropPad',
    'VOC_CLASSES', 'VOCTagDataset'
]
