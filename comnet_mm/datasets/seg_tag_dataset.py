"""Multi-label classification on a segmentation dataset's layout.

WSSS trains its CAM network on image-level tags of a segmentation dataset and
later scores the CAMs against that dataset's masks, so the classification
dataset reads the segmentation layout: a split file of image ids, an image
folder, a mask folder, and optionally a labels file.
"""
import os.path as osp
from typing import Dict, List, Optional

import numpy as np
from mmengine.fileio import join_path
from mmpretrain.datasets import MultiLabelDataset
from PIL import Image

from comnet_mm.registry import DATASETS


def read_split(path: str) -> List[str]:
    """Image ids of a split file, one a line; errors name the file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'split file not found: {path}')
    with open(path) as f:
        ids = [line.split()[0] for line in f if line.strip()]
    if not ids:
        raise ValueError(f'split file is empty: {path}')
    if len(set(ids)) != len(ids):
        raise ValueError(f'split file names an image twice: {path}')
    return ids


def read_label_map(path: str) -> np.ndarray:
    """A label PNG as a uint8 array of class indices (palette or grey)."""
    try:
        with Image.open(path) as im:
            if im.mode not in ('P', 'L'):
                raise ValueError(
                    f'mask {path} has mode {im.mode}; expected a palette '
                    "('P') or grey ('L') PNG of class indices")
            return np.array(im)
    except FileNotFoundError:
        raise FileNotFoundError(f'mask not found: {path}') from None
    except (OSError, SyntaxError) as e:
        raise ValueError(f'mask {path} cannot be read: {e}') from None


def tags_from_label_map(label: np.ndarray,
                        num_classes: int,
                        path: str = '<array>') -> List[int]:
    """Foreground tags (0..C-1) of a label map with 0 = bg, 255 = ignore.

    Raises:
        ValueError: naming ``path`` if a value is outside 0..C and not 255.
    """
    values = np.unique(label)
    bad = [int(v) for v in values if v > num_classes and v != 255]
    if bad:
        raise ValueError(f'mask {path} holds labels {bad} outside 0..'
                         f'{num_classes} (and 255 for ignore)')
    return [int(v) - 1 for v in values if 0 < v <= num_classes]


def read_labels_file(path: str, num_classes: int) -> Dict[str, List[int]]:
    """Tags from a text file: ``<image id> <c> <c> ...`` (0-based, no bg)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'labels file not found: {path}')
    tags = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            try:
                labels = sorted({int(p) for p in parts[1:]})
            except ValueError:
                raise ValueError(f'{path}:{n}: labels must be integers, '
                                 f'got {line.strip()!r}') from None
            if any(not 0 <= c < num_classes for c in labels):
                raise ValueError(f'{path}:{n}: labels {labels} outside '
                                 f'0..{num_classes - 1}')
            tags[parts[0]] = labels
    return tags


def check_image_header(path: str):
    """Open an image's header (cheap) so bad files fail before training."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'image not found: {path}')
    try:
        with Image.open(path) as im:
            im.size
    except (OSError, SyntaxError) as e:
        raise ValueError(f'image {path} is not a readable image: {e}') \
            from None


@DATASETS.register_module()
class SegTagDataset(MultiLabelDataset):
    """Image-level tags of a segmentation dataset, for CAM training.

    Every image of the split becomes ``dict(img_path, seg_map_path, gt_label)``
    with ``gt_label`` the foreground classes (0..C-1, background excluded).
    Tags come from ``labels_file`` when given, else from the masks (values
    0 = background, 1..C = classes, 255 = ignore).

    All checks that are cheap run when the dataset is built, so bad input
    fails before training starts with an error naming the file: an empty or
    missing split file, an image or mask missing, an image whose header
    cannot be read, a mask value outside 0..C/255, an id missing from the
    labels file. (An image whose pixel data is damaged past its header is
    reported by the loading transform when it is read.)

    Args:
        data_root (str): dataset root; ``ann_file``, ``data_prefix`` and
            ``labels_file`` are relative to it.
        ann_file (str): split file, one image id a line.
        data_prefix (dict): ``img_path`` (images) and ``seg_map_path``
            (masks, or None when there are none and ``labels_file`` is set).
        labels_file (str, optional): text file ``<id> <c> <c> ...``.
        img_suffix (str): image file suffix. Defaults to '.jpg'.
        seg_map_suffix (str): mask file suffix. Defaults to '.png'.
        check_images (bool): open every image's header at build time.
        **kwargs: passed to mmpretrain's ``MultiLabelDataset``.
    """

    def __init__(self,
                 data_root: str,
                 ann_file: str,
                 data_prefix: dict = dict(
                     img_path='JPEGImages',
                     seg_map_path='SegmentationClassAug'),
                 labels_file: Optional[str] = None,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 check_images: bool = True,
                 **kwargs):
        self.labels_file = labels_file
        self.img_suffix = img_suffix
        self.seg_map_suffix = seg_map_suffix
        self.check_images = check_images
        data_prefix = {k: v for k, v in data_prefix.items() if v is not None}
        if 'seg_map_path' not in data_prefix and labels_file is None:
            raise ValueError('SegTagDataset needs masks (data_prefix.'
                             'seg_map_path) or a labels_file for its tags')
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            **kwargs)

    def _join_prefix(self):
        super()._join_prefix()
        if self.labels_file and not osp.isabs(self.labels_file):
            self.labels_file = join_path(self.data_root, self.labels_file)

    @property
    def num_classes(self) -> int:
        return len(self.metainfo['classes'])

    def load_data_list(self) -> List[dict]:
        ids = read_split(self.ann_file)
        img_dir = self.data_prefix['img_path']
        seg_dir = self.data_prefix.get('seg_map_path')
        tags = None
        if self.labels_file:
            tags = read_labels_file(self.labels_file, self.num_classes)
        data_list = []
        for img_id in ids:
            img_path = osp.join(img_dir, img_id + self.img_suffix)
            if self.check_images:
                check_image_header(img_path)
            elif not osp.isfile(img_path):
                raise FileNotFoundError(
                    f'image not found: {img_path} (named by {self.ann_file})')
            info = dict(img_path=img_path, img_id=img_id, seg_map_path=None)
            if seg_dir is not None:
                info['seg_map_path'] = osp.join(seg_dir,
                                                img_id + self.seg_map_suffix)
                if not osp.isfile(info['seg_map_path']):
                    raise FileNotFoundError(
                        f'mask not found: {info["seg_map_path"]} (named by '
                        f'{self.ann_file})')
            if tags is not None:
                if img_id not in tags:
                    raise KeyError(f'{img_id} (from {self.ann_file}) has no '
                                   f'line in {self.labels_file}')
                info['gt_label'] = tags[img_id]
            else:
                label = read_label_map(info['seg_map_path'])
                info['gt_label'] = tags_from_label_map(label, self.num_classes,
                                                       info['seg_map_path'])
            data_list.append(info)
        return data_list
