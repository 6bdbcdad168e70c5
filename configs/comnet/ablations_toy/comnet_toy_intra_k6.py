# Table IV: intra-matching only, k=6 (toy).
# Baseline of the tables: configs/cam/cam_toy.py.
_base_ = ['../../cam/cam_toy.py']
model = dict(neck=[dict(type='IntraMatching', in_channels=128, k=6)])
