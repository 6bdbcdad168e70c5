"""COCO 2014 with VOC-style masks as a multi-label classification dataset."""
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS as SEG_DATASETS

from comnet_mm.registry import DATASETS
from .seg_tag_dataset import SegTagDataset

COCO_CLASSES = ('person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus',
                'train', 'truck', 'boat', 'traffic light', 'fire hydrant',
                'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog',
                'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra',
                'giraffe', 'backpack', 'umbrella', 'handbag', 'tie',
                'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball',
                'kite', 'baseball bat', 'baseball glove', 'skateboard',
                'surfboard', 'tennis racket', 'bottle', 'wine glass', 'cup',
                'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple',
                'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza',
                'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed',
                'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote',
                'keyboard', 'cell phone', 'microwave', 'oven', 'toaster',
                'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors',
                'teddy bear', 'hair drier', 'toothbrush')


@DATASETS.register_module()
class COCOTagDataset(SegTagDataset):
    """COCO 2014 image-level tags (80 classes, background excluded).

    Reads the layout WSSS works use for COCO, with masks converted from the
    instance annotations to VOC-style PNGs (0 = background, 1..80 in the
    order of ``COCO_CLASSES``, 255 = ignore)::

        train2014/COCO_train2014_<id>.jpg
        val2014/COCO_val2014_<id>.jpg
        SegmentationClass/train2014/COCO_train2014_<id>.png
        SegmentationClass/val2014/COCO_val2014_<id>.png
        ImageSets/{train,val}.txt

    Args:
        ann_file (str): split file. Defaults to ``'ImageSets/train.txt'``.
        data_prefix (dict): image and mask folders.
        **kwargs: see :class:`SegTagDataset`.
    """
    METAINFO = dict(classes=COCO_CLASSES)

    def __init__(self,
                 data_root: str,
                 ann_file: str = 'ImageSets/train.txt',
                 data_prefix: dict = dict(
                     img_path='train2014',
                     seg_map_path='SegmentationClass/train2014'),
                 **kwargs):
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            data_prefix=data_prefix,
            **kwargs)


@SEG_DATASETS.register_module()
class COCOObjectSegDataset(BaseSegDataset):
    """COCO 2014 semantic segmentation in the layout above (81 labels:
    0 background, 1..80 ``COCO_CLASSES``, 255 ignore), for the final
    segmenter: mmseg ships no COCO-object dataset (only COCO-Stuff)."""
    METAINFO = dict(classes=('background', ) + COCO_CLASSES)

    def __init__(self, img_suffix='.jpg', seg_map_suffix='.png', **kwargs):
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)
