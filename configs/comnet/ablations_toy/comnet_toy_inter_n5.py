# Table I: inter-matching only, groups of N=5 (toy).
# Baseline of the tables: configs/cam/cam_toy.py.
# About 16 images a batch: 3 groups of 5.
_base_ = ['../../cam/cam_toy.py']
model = dict(neck=[dict(type='InterMatching', alpha=1.5, group_size=5)])
train_dataloader = dict(batch_size=3, dataset=dict(group_size=5))
