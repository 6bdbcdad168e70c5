# Table II: inter-matching only (also Table I N=2, Table III alpha=1.5)
# (VOC 2012 aug, R50).
# Baseline of the tables: configs/cam/cam_r50_voc.py.
_base_ = ['../../cam/cam_r50_voc.py']
model = dict(neck=[dict(type='InterMatching', alpha=1.5, group_size=2)])
