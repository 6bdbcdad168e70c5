# Baseline CAM on COCO 2014 (80 classes), same recipe as VOC.
_base_ = [
    '../_base_/models/cam_r50.py', '../_base_/datasets/coco14_cam.py',
    '../_base_/schedules/cam_5ep.py', '../_base_/default_runtime.py'
]
num_classes = 80
model = dict(
    data_preprocessor=dict(num_classes=num_classes),
    head=dict(num_classes=num_classes))
