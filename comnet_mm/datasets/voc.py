"""PASCAL VOC 2012 (+ SBD aug) as a multi-label classification dataset."""
from comnet_mm.registry import DATASETS
from .seg_tag_dataset import SegTagDataset

VOC_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car',
               'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse',
               'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train',
               'tvmonitor')


@DATASETS.register_module()
class VOCTagDataset(SegTagDataset):
    """VOC 2012 image-level tags (20 classes, background excluded).

    Reads the layout of ``VOCdevkit/VOC2012`` with the SBD masks converted by
    mmseg's ``tools/dataset_converters/voc_aug.py``::

        JPEGImages/<id>.jpg
        SegmentationClass/<id>.png       (train, val)
        SegmentationClassAug/<id>.png    (train_aug, val)
        ImageSets/Segmentation/{train,val,train_aug}.txt

    Args:
        ann_file (str): split file, e.g.
            ``'ImageSets/Segmentation/train_aug.txt'``.
        data_prefix (dict): image and mask folders; masks default to
            ``SegmentationClassAug`` (use ``SegmentationClass`` for ``train``
            when scoring CAMs on the official masks).
        **kwargs: see :class:`SegTagDataset`.
    """
    METAINFO = dict(classes=VOC_CLASSES)

    def __init__(self,
                 data_root: str,
                 ann_file: str = 'ImageSets/Segmentation/train_aug.txt',
                 data_prefix: dict = dict(
                     img_path='JPEGImages',
                     seg_map_path='SegmentationClassAug'),
                 **kwargs):
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            data_prefix=data_prefix,
            **kwargs)
