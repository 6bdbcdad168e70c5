# COMNet on COCO 2014: the COCO CAM recipe with both matching modules.
_base_ = ['../cam/cam_r50_coco.py']
model = dict(neck=[
    dict(type='InterMatching', alpha=1.5, group_size={{_base_.group_size}}),
    dict(type='IntraMatching', in_channels=2048, k=8),
])
