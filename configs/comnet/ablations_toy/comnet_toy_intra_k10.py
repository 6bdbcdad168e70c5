# Table IV: intra-matching only, k=10 (toy).
# Baseline of the tables: configs/cam/cam_toy.py.
_base_ = ['../../cam/cam_toy.py']
model = dict(neck=[dict(type='IntraMatching', in_channels=128, k=10)])
