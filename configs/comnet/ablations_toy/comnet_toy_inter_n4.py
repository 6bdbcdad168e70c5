# Table I: inter-matching only, groups of N=4 (toy).
# Baseline of the tables: configs/cam/cam_toy.py.
# About 16 images a batch: 4 groups of 4.
_base_ = ['../../cam/cam_toy.py']
model = dict(neck=[dict(type='InterMatching', alpha=1.5, group_size=4)])
train_dataloader = dict(batch_size=4, dataset=dict(group_size=4))
