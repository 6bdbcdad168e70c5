# Table III: inter-matching only, alpha=2.0 (toy).
# Baseline of the tables: configs/cam/cam_toy.py.
_base_ = ['../../cam/cam_toy.py']
model = dict(neck=[dict(type='InterMatching', alpha=2.0, group_size=2)])
