# DeepLabV3 R50-D8 on the pseudo masks of COCO 2014 train (81 labels:
# background + 80 classes), validated on the real masks of val2014 (layout:
# comnet_mm.datasets.COCOTagDataset; masks from
# tools/dataset_converters/coco_instances_to_masks.py). mmseg's VOC recipe
# otherwise (512x512, batch 4 x 4 GPUs); COCO is 8x VOC aug, so 80k
# iterations.
_base_ = ['./deeplabv3_r50-d8_voc12aug-pseudo.py']
irn_work_dir = 'work_dirs/irn_r50_coco'
pseudo_dir = irn_work_dir + '/pseudo_masks'
data_root = 'data/coco2014'
num_classes = 81

model = dict(
    decode_head=dict(num_classes=num_classes),
    auxiliary_head=dict(num_classes=num_classes))
train_dataloader = dict(
    dataset=dict(
        type='COCOObjectSegDataset',
        ann_file=data_root + '/ImageSets/train.txt',
        data_prefix=dict(
            img_path=data_root + '/train2014', seg_map_path=pseudo_dir)))
val_dataloader = dict(
    dataset=dict(
        type='COCOObjectSegDataset',
        data_root=data_root,
        ann_file='ImageSets/val.txt',
        data_prefix=dict(
            img_path='val2014', seg_map_path='SegmentationClass/val2014')))
test_dataloader = val_dataloader
iters = 80000
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=iters, val_interval=8000)
default_hooks = dict(checkpoint=dict(interval=8000))
