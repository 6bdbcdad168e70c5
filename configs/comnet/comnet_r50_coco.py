# COMNet on COCO 2014: the COCO CAM recipe with both matching modules.
_base_ = ['../cam/cam_r50_coco.py']
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
