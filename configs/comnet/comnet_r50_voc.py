# COMNet on VOC 2012 aug: the baseline CAM recipe (configs/cam/cam_r50_voc.py)
# with inter-matching (alpha 1.5, pairs) then intra-matching (k 8) on the
# last ResNet-50 stage, between backbone and CAM head (paper Fig. 1).
_base_ = ['../cam/cam_r50_voc.py']
model = dict(
    neck=[
        # 'batched': every group of the batch in one Lanczos solve without
        # host reads, the same masks as the per-group 'lanczos' the toy
        # records use (tests/test_inter_matching.py); a 2.1-2.4x faster train
        # step on an H200 (benchmarks/README.md)
        dict(
            type='InterMatching',
            alpha=1.5,
            group_size={{_base_.group_size}},
            solver='batched'),
        # MLP 2048 -> 512 (BN, ReLU): the paper does not give its shape; a full
        # 2048-wide layer costs ~20% more step time (benchmarks/README.md).
        dict(type='IntraMatching', in_channels=2048, mlp_channels=[512], k=8),
    ],
    head=dict(in_channels=512))
