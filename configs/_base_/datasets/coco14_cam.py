# COCO 2014 (80 classes, VOC-style masks) as co-occurrent pairs; mAP on val.
_base_ = ['./voc12aug_cam.py']
dataset_type = 'COCOTagDataset'
data_root = 'data/coco2014'

train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            ann_file='ImageSets/train.txt',
            data_prefix=dict(
                img_path='train2014',
                seg_map_path='SegmentationClass/train2014'))))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/val.txt',
        data_prefix=dict(
            img_path='val2014', seg_map_path='SegmentationClass/val2014')))
test_dataloader = val_dataloader
cam_cfg = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/train.txt',
        data_prefix=dict(
            img_path='train2014', seg_map_path='SegmentationClass/train2014')),
    eval_dataset=None,
    metric=dict(num_classes=80))
