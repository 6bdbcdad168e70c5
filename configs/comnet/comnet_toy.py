# COMNet on the embedded toy dataset: configs/cam/cam_toy.py + both modules.
_base_ = ['../cam/cam_toy.py']
model = dict(neck=[
    dict(type='InterMatching', alpha=1.5, group_size={{_base_.group_size}}),
    dict(type='IntraMatching', in_channels=128, k=8),
])
