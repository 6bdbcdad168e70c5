# Table I: inter-matching only, groups of N=3 (VOC 2012 aug, R50).
# Baseline of the tables: configs/cam/cam_r50_voc.py.
# About 16 images a batch: 5 groups of 3.
_base_ = ['../../cam/cam_r50_voc.py']
model = dict(neck=[dict(type='InterMatching', alpha=1.5, group_size=3)])
train_dataloader = dict(batch_size=5, dataset=dict(group_size=3))
