# Table IV: intra-matching only, k=6 (VOC 2012 aug, R50).
# Baseline of the tables: configs/cam/cam_r50_voc.py.
_base_ = ['../../cam/cam_r50_voc.py']
model = dict(
    neck=[
        dict(type='IntraMatching', in_channels=2048, mlp_channels=[512], k=6)
    ],
    head=dict(in_channels=512))
