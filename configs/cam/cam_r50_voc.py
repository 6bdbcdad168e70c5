# Baseline CAM (IRN recipe) on VOC 2012 aug: R50 OS16, crop 512, 16 images a
# batch (8 co-occurrent pairs), 5 epochs, SGD 0.1 / 10x head, poly 0.9.
_base_ = [
    '../_base_/models/cam_r50.py', '../_base_/datasets/voc12aug_cam.py',
    '../_base_/schedules/cam_5ep.py', '../_base_/default_runtime.py'
]
