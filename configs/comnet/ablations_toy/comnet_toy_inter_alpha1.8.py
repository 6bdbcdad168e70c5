# Table III: inter-matching only, alpha=1.8 (toy).
# Baseline of the tables: configs/cam/cam_toy.py.
_base_ = ['../../cam/cam_toy.py']
model = dict(neck=[dict(type='InterMatching', alpha=1.8, group_size=2)])
