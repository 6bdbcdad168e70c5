# The whole chain on COCO 2014 with the baseline CAM network
# (IRN's recipe), then mmseg's DeepLabV3 R50-D8 on the pseudo masks.
data_root = 'data/coco2014'
cam = dict(config='configs/cam/cam_r50_coco.py', options=dict())
irn = dict(config='configs/irn/irn_r50_coco.py', options=dict())
seg = dict(
    config='configs/deeplabv3/deeplabv3_r50-d8_coco14-pseudo.py',
    options=dict())
