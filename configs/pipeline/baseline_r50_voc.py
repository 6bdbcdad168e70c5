# The whole chain on VOC 2012 aug with the baseline CAM network
# (IRN's recipe), then mmseg's DeepLabV3 R50-D8 on the pseudo masks.
data_root = 'data/VOCdevkit/VOC2012'
cam = dict(config='configs/cam/cam_r50_voc.py', options=dict())
irn = dict(config='configs/irn/irn_r50_voc.py', options=dict())
seg = dict(
    config='configs/deeplabv3/deeplabv3_r50-d8_voc12aug-pseudo.py',
    options=dict())
