from unittest import mock

import pytest
import torch
from mmengine.dataset import DefaultSampler
from mmpretrain.structures import DataSample
from torch.utils.data import DataLoader

from comnet_mm.datasets import CoOccurrentGroupDataset, group_collate

# image -> classes; image 9 has a class (5) no other image has.
TAGS = [[0], [0, 1], [1], [0, 2], [2], [1, 2], [0], [3], [3, 0], [5], [1],
        [2, 3]]


class TagList:
    """The smallest multi-label dataset: image i is a tensor filled with i."""
    metainfo = dict(classes=('a', 'b', 'c', 'd', 'e', 'f'))

    def __init__(self, tags=TAGS):
        self.tags = tags

    def __len__(self):
        return len(self.tags)

    def get_cat_ids(self, i):
        return self.tags[i]

    def __getitem__(self, i):
        sample = DataSample().set_gt_label(self.tags[i])
        return dict(
            inputs=torch.full((3, 4, 4), float(i)), data_samples=sample)


def test_every_group_shares_a_class():
    for n in (2, 3, 5):
        ds = CoOccurrentGroupDataset(TagList(), group_size=n, seed=1)
        for epoch in range(4):
            for i in range(len(ds)):
                members, shared = ds.group_indices(i, epoch)
                assert len(members) == n and members[0] == i
                assert i not in members[1:]
                common = set.intersection(*(set(TAGS[m]) for m in members))
                if i == 9:  # no other image has class 5
                    assert shared == []
                else:
                    assert shared and shared == sorted(common)


def test_items_carry_group_metainfo():
    ds = CoOccurrentGroupDataset(TagList(), group_size=3, seed=0)
    group = ds[4]
    members, shared = ds.group_indices(4)
    assert [int(g['inputs'][0, 0, 0]) for g in group] == members
    for pos, item in enumerate(group):
        meta = item['data_samples'].metainfo
        assert meta['group_pos'] == pos and meta['group_size'] == 3
        assert meta['group_anchor'] == 4 and meta['shared_labels'] == shared


def test_no_partner_fallback():
    ds = CoOccurrentGroupDataset(TagList(), group_size=2, seed=0)
    partners = {ds.group_indices(9, e)[0][1] for e in range(30)}
    assert 9 not in partners and len(partners) > 3  # random, never itself
    assert ds[9][0]['data_samples'].shared_labels == []


def test_reproducible_and_changing_across_epochs():
    a = CoOccurrentGroupDataset(TagList(), seed=7)
    b = CoOccurrentGroupDataset(TagList(), seed=7)
    c = CoOccurrentGroupDataset(TagList(), seed=8)

    def groups(d, e):
        return [d.group_indices(i, e)[0] for i in range(len(d))]

    assert groups(a, 0) == groups(b, 0) and groups(a, 3) == groups(b, 3)
    assert groups(a, 0) != groups(a, 1)
    assert groups(a, 0) != groups(c, 0)
    b.set_epoch(3)
    assert [b[i][1]['inputs'][0, 0, 0].item() for i in range(12)] == \
        [g[1] for g in groups(a, 3)]


def test_workers_see_set_epoch():
    """Persistent dataloader workers draw with the epoch set in the parent."""
    ds = CoOccurrentGroupDataset(TagList(), seed=5)
    loader = DataLoader(
        ds,
        batch_size=3,
        num_workers=2,
        persistent_workers=True,
        collate_fn=group_collate,
        shuffle=False)
    for epoch in (0, 1, 2):
        ds.set_epoch(epoch)
        seen = []
        for batch in loader:
            seen += [int(x[0, 0, 0]) for x in batch['inputs']]
        expect = [m for i in range(12) for m in ds.group_indices(i, epoch)[0]]
        assert seen == expect


def test_group_collate_layout():
    ds = CoOccurrentGroupDataset(TagList(), group_size=3, seed=0)
    batch = group_collate([ds[0], ds[5]])
    assert len(batch['inputs']) == 6
    order = [int(x[0, 0, 0]) for x in batch['inputs']]
    assert order == ds.group_indices(0)[0] + ds.group_indices(5)[0]
    assert [s.group_pos for s in batch['data_samples']] == [0, 1, 2] * 2


def test_ddp_partition_with_default_sampler():
    ds = CoOccurrentGroupDataset(TagList(), seed=0)
    parts = []
    for rank in (0, 1):
        with mock.patch(
                'mmengine.dataset.sampler.get_dist_info',
                return_value=(rank, 2)):
            sampler = DefaultSampler(ds, shuffle=True, seed=0)
        sampler.set_epoch(1)
        parts.append(list(sampler))
    assert len(parts[0]) == len(parts[1]) == 6
    assert not set(parts[0]) & set(parts[1])
    assert set(parts[0]) | set(parts[1]) == set(range(12))


def test_bad_arguments():
    with pytest.raises(ValueError, match='group_size must be in 2..5'):
        CoOccurrentGroupDataset(TagList(), group_size=6)
    with pytest.raises(ValueError, match='at least 2 images'):
        CoOccurrentGroupDataset(TagList(tags=[[0]]), seed=0)
    with pytest.raises(IndexError, match='out of range'):
        CoOccurrentGroupDataset(TagList(), seed=0).group_indices(12)


def test_wraps_voc_config(toy_root):
    """Built from a config dict, over the toy set read as VOC."""
    from mmengine.registry import init_default_scope

    from comnet_mm.toy import ToyVOCConfig
    init_default_scope('mmpretrain')
    ds = CoOccurrentGroupDataset(
        dict(
            type='VOCTagDataset',
            data_root=toy_root,
            metainfo=dict(classes=ToyVOCConfig().names)),
        seed=0)
    for i in range(len(ds)):
        members, shared = ds.group_indices(i)
        tags = [set(ds.dataset.get_cat_ids(m)) for m in members]
        assert set(shared) == set.intersection(*tags) and shared
