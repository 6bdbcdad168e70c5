# Table III: inter-matching only, alpha=2.0 (VOC 2012 aug, R50).
# Baseline of the tables: configs/cam/cam_r50_voc.py.
_base_ = ['../../cam/cam_r50_voc.py']
model = dict(neck=[dict(type='InterMatching', alpha=2.0, group_size=2)])
