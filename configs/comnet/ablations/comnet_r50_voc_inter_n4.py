# Table I: inter-matching only, groups of N=4 (VOC 2012 aug, R50).
# Baseline of the tables: configs/cam/cam_r50_voc.py.
# About 16 images a batch: 4 groups of 4.
_base_ = ['../../cam/cam_r50_voc.py']
model = dict(neck=[dict(type='InterMatching', alpha=1.5, group_size=4)])
train_dataloader = dict(batch_size=4, dataset=dict(group_size=4))
