# IRN's boundary network on COCO 2014 train, on the seeds of a COCO CAM run;
# the random walk writes pseudo masks of train (81 labels) and scores them
# on train's converted masks. IRN's VOC recipe otherwise.
_base_ = ['./irn_r50_voc.py']
cam_work_dir = 'work_dirs/cam_r50_coco'
cam_dir = cam_work_dir + '/cams'
seed_dir = cam_work_dir + '/seeds'
data_root = 'data/coco2014'

train_split = dict(
    _delete_=True,
    type='COCOTagDataset',
    data_root=data_root,
    ann_file='ImageSets/train.txt',
    data_prefix=dict(
        img_path='train2014', seg_map_path='SegmentationClass/train2014'))
seed_cfg = dict(dataset=train_split, cam_dir=cam_dir, out_dir=seed_dir)
pseudo_cfg = dict(
    dataset=train_split, eval_dataset=train_split, cam_dir=cam_dir)
train_dataloader = dict(
    dataset=dict(
        type='COCOObjectSegDataset',
        ann_file=data_root + '/ImageSets/train.txt',
        data_prefix=dict(
            img_path=data_root + '/train2014', seg_map_path=seed_dir),
        metainfo=None))
