# The whole chain with COMNet's CAM network (the paper's setting).
_base_ = ['./baseline_r50_coco.py']
cam = dict(config='configs/comnet/comnet_r50_coco.py')
