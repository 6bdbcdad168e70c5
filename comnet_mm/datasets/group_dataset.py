"""Groups of N images that share a class: the input of inter-matching
(Sec. III-A, III-C).

mmengine has no wrapper that draws partners by label (mmdet's
MultiImageMixDataset draws them at random from the whole set), so this one is
written here. It is a plain dataset of ``len(dataset)`` items, so mmengine's
``DefaultSampler`` / ``InfiniteSampler`` shard it across DDP ranks as usual.
"""
import copy
from typing import List, Optional, Tuple

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.dist import sync_random_seed
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.runner.utils import set_random_seed

from comnet_mm.registry import DATASETS, FUNCTIONS


@DATASETS.register_module()
class CoOccurrentGroupDataset:
    """Item ``i`` is image ``i`` (the anchor) with ``group_size - 1`` partners.

    The partners are drawn for each (seed, epoch, anchor) by this rule:

    1. pick one of the anchor's classes uniformly among those that some other
       image also has;
    2. draw the partners uniformly from the other images with that class
       (without replacement while there are enough, with replacement after);
    3. the group's shared classes are the classes every member has (never
       empty after step 2);
    4. if no class of the anchor occurs in any other image, the partners are
       drawn from all other images and the group has no shared class
       (``shared_labels == []``: inter-matching leaves such a group as is).

    The draw depends on nothing else, so every DDP rank agrees on it and a run
    is reproducible. The epoch lives in shared memory, so dataloader workers
    (persistent or not) see :meth:`set_epoch` calls made by
    :class:`GroupEpochHook` before each epoch.

    Each item is a list of ``group_size`` pipeline outputs
    (``dict(inputs, data_samples)``), the anchor first; every data sample gets
    the metainfo ``group_size``, ``group_pos`` (0..N-1), ``group_anchor``
    (the anchor's index) and ``shared_labels`` (list of class indices). Use
    ``collate_fn=dict(type='group_collate')`` to lay a batch of B groups out
    as B*N images, group by group.

    Args:
        dataset (dict | Dataset): a multi-label dataset with ``get_cat_ids``.
        group_size (int): images per group, 2..5 (Sec. III-C, Table I).
        seed (int, optional): seed of the draws; None takes mmengine's
            synchronised random seed, as ``DefaultSampler`` does.
        lazy_init (bool): defer building the class index to first use.
        seed_per_item (bool): before each member's pipeline, seed python's,
            numpy's and torch's global generators from (seed, epoch, anchor,
            position), so its random augmentations are a function of those
            alone: a run resumed mid-epoch, on other dataloader workers
            (persistent or not) or on other ranks sees the same inputs, and a
            resumed CPU run ends bitwise where an uninterrupted one does
            (tests/test_reliability.py). Off here, on in the CAM configs;
            without it the generators run on from the workers' seeds, so a
            resumed epoch draws other augmentations (the earlier tables of
            docs/benchmark.md were made so).
    """

    def __init__(self,
                 dataset,
                 group_size: int = 2,
                 seed: Optional[int] = None,
                 lazy_init: bool = False,
                 seed_per_item: bool = False):
        if not 2 <= int(group_size) <= 5:
            raise ValueError(f'group_size must be in 2..5, got {group_size}')
        if isinstance(dataset, dict):
            dataset = MMENGINE_DATASETS.build(dataset)
        self.dataset = dataset
        self.group_size = int(group_size)
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.seed_per_item = bool(seed_per_item)
        self._epoch = torch.zeros(1, dtype=torch.int64).share_memory_()
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self.dataset.metainfo)

    def full_init(self):
        if self._fully_initialized:
            return
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        n = len(self.dataset)
        if n < 2:
            raise ValueError('CoOccurrentGroupDataset needs at least 2 images,'
                             f' the dataset has {n}')
        self._labels = [
            np.array(sorted(set(self.dataset.get_cat_ids(i))), dtype=np.int64)
            for i in range(n)
        ]
        by_class = {}
        for i, labels in enumerate(self._labels):
            for c in labels:
                by_class.setdefault(int(c), []).append(i)
        self._by_class = {
            c: np.array(v, dtype=np.int64)
            for c, v in by_class.items()
        }
        self._fully_initialized = True

    def __len__(self) -> int:
        return len(self.dataset)

    @property
    def epoch(self) -> int:
        return int(self._epoch[0])

    def set_epoch(self, epoch: int):
        """Draw partners for ``epoch`` from now on (seen by all workers)."""
        self._epoch[0] = int(epoch)

    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(idx)

    def group_indices(self,
                      idx: int,
                      epoch: Optional[int] = None) -> Tuple[List[int], list]:
        """The group of anchor ``idx`` at ``epoch`` (default: current).

        Returns:
            tuple: member indices (anchor first) and the shared class indices.
        """
        self.full_init()
        epoch = self.epoch if epoch is None else int(epoch)
        n = len(self.dataset)
        if not 0 <= idx < n:
            raise IndexError(f'index {idx} out of range for {n} images')
        rng = np.random.default_rng([self.seed, epoch, idx])
        k = self.group_size - 1
        labels = self._labels[idx]
        candidates = [int(c) for c in labels if len(self._by_class[c]) > 1]
        if candidates:
            c = candidates[rng.integers(len(candidates))]
            pool = self._by_class[c]
            pool = pool[pool != idx]
        else:
            pool = np.delete(np.arange(n), idx)
        partners = rng.choice(pool, size=k, replace=len(pool) < k)
        members = [idx] + [int(p) for p in partners]
        if not candidates:
            return members, []
        shared = set(labels.tolist())
        for m in members[1:]:
            shared &= set(self._labels[m].tolist())
        return members, sorted(shared)

    def __getitem__(self, idx: int) -> list:
        members, shared = self.group_indices(idx)
        group = []
        for pos, m in enumerate(members):
            if self.seed_per_item:
                self._seed_globals(idx, pos)
            item = self.dataset[m]
            item['data_samples'].set_metainfo(
                dict(
                    group_size=self.group_size,
                    group_pos=pos,
                    group_anchor=idx,
                    shared_labels=list(shared)))
            group.append(item)
        return group

    def _seed_globals(self, idx: int, pos: int):
        """Seed the global generators the transforms draw from (mmcv's and
        ours use numpy's) for member ``pos`` of anchor ``idx`` now."""
        state = np.random.SeedSequence([self.seed, self.epoch, idx, pos])
        set_random_seed(int(state.generate_state(1)[0]))


@FUNCTIONS.register_module()
def group_collate(data_batch: list) -> dict:
    """Collate B groups of N items into one batch of B*N images.

    The images keep their order: group 0's N images, then group 1's, ... so a
    model recovers group ``g`` as rows ``g*N .. g*N+N-1``.
    """
    flat = []
    for group in data_batch:
        flat.extend(group if isinstance(group, (list, tuple)) else [group])
    return pseudo_collate(flat)
