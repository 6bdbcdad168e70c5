# Table II: inter-matching only (also Table I N=2, Table III alpha=1.5) (toy).
# Baseline of the tables: configs/cam/cam_toy.py.
_base_ = ['../../cam/cam_toy.py']
model = dict(neck=[dict(type='InterMatching', alpha=1.5, group_size=2)])
