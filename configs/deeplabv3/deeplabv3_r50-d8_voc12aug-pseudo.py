# The final segmenter: mmseg's own DeepLabV3 R50-D8 (VOC 2012 aug, 512x512,
# 20k iterations, 4 GPUs x 4 images), trained on the pseudo masks of an IRN
# run instead of the real masks, validated on the real masks of val.
# Only what must change is changed: the training set (pseudo masks of
# train_aug), the model type (mmseg's EncoderDecoder + an optional test-time
# CRF, off by default: `model.crf={}` or `tools/test.py --crf` turns it on).
_base_ = ['mmseg::deeplabv3/deeplabv3_r50-d8_4xb4-20k_voc12aug-512x512.py']
custom_imports = dict(imports=['comnet_mm'], allow_failed_imports=False)

# The IRN run whose pseudo masks this trains on (configs/irn); the pipeline
# (tools/run_pipeline.py) points these at its own stage folders.
irn_work_dir = 'work_dirs/irn_r50_voc'
pseudo_dir = irn_work_dir + '/pseudo_masks'
data_root = 'data/VOCdevkit/VOC2012'

model = dict(type='CRFEncoderDecoder', crf=None)  # 21 classes (base)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,  # the base concatenates VOC train + SBD aug
        type='PascalVOCDataset',
        data_root='',  # complete paths: the masks live in a work dir
        ann_file=data_root + '/ImageSets/Segmentation/train_aug.txt',
        data_prefix=dict(
            img_path=data_root + '/JPEGImages', seg_map_path=pseudo_dir),
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
