# The whole chain on the embedded toy dataset with the baseline CAM network
# (tools/run_pipeline.py; `make demo` runs it beside comnet_toy.py). The
# shared `pretrain` stage trains the toy's ImageNet stand-in once per work
# dir; every toy stage starts from its backbone.
data_root = 'data/toy_voc'
pretrain_data_root = 'data/toy_imagenet'
pretrain = dict(
    config='configs/pretrain/resnet18-narrow_toy-imagenet.py', options=dict())
cam = dict(config='configs/cam/cam_toy.py', options=dict())
irn = dict(config='configs/irn/irn_toy.py', options=dict())
seg = dict(
    config='configs/deeplabv3/deeplabv3_r18-d8_toy-pseudo.py', options=dict())
