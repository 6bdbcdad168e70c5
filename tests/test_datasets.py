import os.path as osp

import numpy as np
import pytest

from comnet_mm.datasets import COCOTagDataset, VOCTagDataset
from conftest import write_image, write_mask


def make_voc(root, masks, split='train_aug', folder='SegmentationClassAug'):
    """A VOCdevkit/VOC2012 fixture: ``masks`` maps id -> label array."""
    for i, (img_id, label) in enumerate(masks.items()):
        write_image(osp.join(root, 'JPEGImages', img_id + '.jpg'), seed=i)
        write_mask(osp.join(root, folder, img_id + '.png'), label)
    path = osp.join(root, 'ImageSets/Segmentation', split + '.txt')
    import os
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(masks) + '\n')
    return root


def label(*values):
    lab = np.zeros((24, 32), np.uint8)
    for k, v in enumerate(values):
        lab[k * 4:(k + 1) * 4, :8] = v
    return lab


VOC_MASKS = {
    '2007_000032': label(1, 15, 255),  # aeroplane, person, boundary
    '2007_000039': label(20),  # tvmonitor
    '2008_000002': label(255),  # only ignore: no tag
}


def test_voc_tags_from_masks(tmp_path):
    root = make_voc(str(tmp_path / 'VOC2012'), VOC_MASKS)
    ds = VOCTagDataset(
        data_root=root, ann_file='ImageSets/Segmentation/train_aug.txt')
    assert len(ds) == 3 and len(ds.metainfo['classes']) == 20
    assert [ds.get_cat_ids(i) for i in range(3)] == [[0, 14], [19], []]
    info = ds.get_data_info(0)
    assert info['img_path'] == osp.join(root, 'JPEGImages', '2007_000032.jpg')
    assert info['seg_map_path'].endswith(
        'SegmentationClassAug/2007_000032.png')


def test_voc_labels_file_and_train_split(tmp_path):
    root = make_voc(
        str(tmp_path / 'VOC2012'),
        VOC_MASKS,
        split='train',
        folder='SegmentationClass')
    with open(osp.join(root, 'cls_labels.txt'), 'w') as f:
        f.write('2007_000032 0 14\n2007_000039 19\n2008_000002 3\n')
    ds = VOCTagDataset(
        data_root=root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path=None),
        labels_file='cls_labels.txt')
    assert [ds.get_cat_ids(i) for i in range(3)] == [[0, 14], [19], [3]]
    assert ds.get_data_info(0)['seg_map_path'] is None


def test_pipeline_output(tmp_path):
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')  # PackInputs is mmpretrain's
    root = make_voc(str(tmp_path / 'VOC2012'), VOC_MASKS)
    ds = VOCTagDataset(
        data_root=root,
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='PackInputs')])
    item = ds[0]
    assert tuple(item['inputs'].shape) == (3, 24, 32)
    assert item['data_samples'].gt_label.tolist() == [0, 14]


@pytest.mark.parametrize('case, error, words', [
    ('empty_split', ValueError, 'split file is empty'),
    ('missing_split', FileNotFoundError, 'split file not found'),
    ('missing_image', FileNotFoundError, 'JPEGImages/2007_000039.jpg'),
    ('missing_mask', FileNotFoundError,
     'SegmentationClassAug/2007_000039.png'),
    ('corrupt_image', ValueError, '2007_000039.jpg is not a readable image'),
    ('corrupt_mask', ValueError, '2007_000039.png cannot be read'),
    ('bad_label', ValueError, r'2007_000039.png holds labels \[21\]'),
    ('rgb_mask', ValueError, 'has mode RGB'),
])
def test_voc_bad_input(tmp_path, case, error, words):
    root = make_voc(str(tmp_path / 'VOC2012'), VOC_MASKS)
    split = osp.join(root, 'ImageSets/Segmentation/train_aug.txt')
    img = osp.join(root, 'JPEGImages/2007_000039.jpg')
    mask = osp.join(root, 'SegmentationClassAug/2007_000039.png')
    import os

    from PIL import Image
    if case == 'empty_split':
        open(split, 'w').close()
    elif case == 'missing_split':
        os.remove(split)
    elif case == 'missing_image':
        os.remove(img)
    elif case == 'missing_mask':
        os.remove(mask)
    elif case == 'corrupt_image':
        with open(img, 'wb') as f:
            f.write(b'not a jpeg at all')
    elif case == 'corrupt_mask':
        with open(mask, 'wb') as f:
            f.write(b'\x89PNG broken')
    elif case == 'bad_label':
        write_mask(mask, label(21))
    elif case == 'rgb_mask':
        Image.new('RGB', (32, 24)).save(mask)
    with pytest.raises(error, match=words):
        VOCTagDataset(data_root=root)


def test_labels_file_errors(tmp_path):
    root = make_voc(str(tmp_path / 'VOC2012'), VOC_MASKS)
    path = osp.join(root, 'labels.txt')
    with open(path, 'w') as f:
        f.write('2007_000032 0\n2007_000039 20\n')
    with pytest.raises(ValueError, match=r'labels.txt:2: labels \[20\]'):
        VOCTagDataset(data_root=root, labels_file='labels.txt')
    with open(path, 'w') as f:
        f.write('2007_000032 0\n2007_000039 1\n')
    with pytest.raises(KeyError, match='2008_000002'):
        VOCTagDataset(data_root=root, labels_file='labels.txt')


def test_needs_masks_or_labels(tmp_path):
    root = make_voc(str(tmp_path / 'VOC2012'), VOC_MASKS)
    with pytest.raises(ValueError, match='labels_file'):
        VOCTagDataset(
            data_root=root,
            data_prefix=dict(img_path='JPEGImages', seg_map_path=None))


def test_coco_layout(tmp_path):
    root = str(tmp_path / 'coco2014')
    ids = ['COCO_val2014_000000000042', 'COCO_val2014_000000000073']
    masks = [label(1, 80), label(63, 255)]
    for i, (img_id, lab) in enumerate(zip(ids, masks)):
        write_image(osp.join(root, 'val2014', img_id + '.jpg'), seed=i)
        write_mask(
            osp.join(root, 'SegmentationClass/val2014', img_id + '.png'), lab)
    import os
    os.makedirs(osp.join(root, 'ImageSets'))
    with open(osp.join(root, 'ImageSets/val.txt'), 'w') as f:
        f.write('\n'.join(ids))
    ds = COCOTagDataset(
        data_root=root,
        ann_file='ImageSets/val.txt',
        data_prefix=dict(
            img_path='val2014', seg_map_path='SegmentationClass/val2014'))
    assert len(ds.metainfo['classes']) == 80
    assert ds.metainfo['classes'][79] == 'toothbrush'
    assert [ds.get_cat_ids(i) for i in range(2)] == [[0, 79], [62]]
    write_mask(
        osp.join(root, 'SegmentationClass/val2014', ids[1] + '.png'),
        label(81))
    with pytest.raises(ValueError, match=r'holds labels \[81\] outside 0..80'):
        COCOTagDataset(
            data_root=root,
            ann_file='ImageSets/val.txt',
            data_prefix=dict(
                img_path='val2014', seg_map_path='SegmentationClass/val2014'))


def test_toy_dataset_reads_as_voc(toy_root):
    from comnet_mm.toy import ToyVOCConfig
    ds = VOCTagDataset(
        data_root=toy_root,
        metainfo=dict(classes=ToyVOCConfig().names),
        labels_file='cls_labels.txt')
    from_masks = VOCTagDataset(
        data_root=toy_root, metainfo=dict(classes=ToyVOCConfig().names))
    assert len(ds) == 48
    assert [ds.get_cat_ids(i) for i in range(48)] == \
        [from_masks.get_cat_ids(i) for i in range(48)]
