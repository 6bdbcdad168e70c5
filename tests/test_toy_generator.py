import filecmp
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from comnet_mm.toy import ToyVOCConfig, border_band, generate
from comnet_mm.toy import generator as gen_mod
from comnet_mm.toy import make_sample
from comnet_mm.toy.cli import config_from_args, config_parser
from conftest import SMALL_TOY


def _split(root, name):
    with open(osp.join(root, 'ImageSets/Segmentation', name + '.txt')) as f:
        return f.read().split()


def test_layout(toy_root):
    train_aug, train, val = (
        _split(toy_root, s) for s in ('train_aug', 'train', 'val'))
    assert len(train_aug) == 48 and len(train) == 16 and len(val) == 16
    assert set(train) <= set(train_aug)
    assert not set(val) & set(train_aug)
    for i in train_aug + val:
        assert osp.isfile(osp.join(toy_root, 'JPEGImages', i + '.jpg'))
        aug = Image.open(
            osp.join(toy_root, 'SegmentationClassAug', i + '.png'))
        assert aug.mode == 'P'
        jpg = Image.open(osp.join(toy_root, 'JPEGImages', i + '.jpg'))
        assert aug.size == jpg.size
    voc_masks = set(os.listdir(osp.join(toy_root, 'SegmentationClass')))
    assert voc_masks == {i + '.png' for i in train + val}
    with open(osp.join(toy_root, 'classes.txt')) as f:
        assert f.read().split() == list(ToyVOCConfig().names)


def test_masks_and_labels_agree(toy_root):
    tags = {}
    with open(osp.join(toy_root, 'cls_labels.txt')) as f:
        for line in f:
            parts = line.split()
            tags[parts[0]] = [int(p) for p in parts[1:]]
    for i in _split(toy_root, 'train') + _split(toy_root, 'val'):
        aug = np.array(
            Image.open(osp.join(toy_root, 'SegmentationClassAug', i + '.png')))
        voc = np.array(
            Image.open(osp.join(toy_root, 'SegmentationClass', i + '.png')))
        assert aug.max() <= 6 and 255 not in aug  # SBD-style: no band
        # VOC-style: 255 exactly on the border band, elsewhere the same map
        band = border_band(aug)
        assert (voc[band] == 255).all()
        assert (voc[~band] == aug[~band]).all()
        assert tags[i] == sorted(int(c) - 1 for c in np.unique(aug) if c)
        assert tags[i], f'{i} has no object'


def test_deterministic_and_seeded(tmp_path):
    a = generate(str(tmp_path / 'a'), ToyVOCConfig(**SMALL_TOY))
    b = generate(str(tmp_path / 'b'), ToyVOCConfig(**SMALL_TOY))
    assert a == b
    for sub in ('JPEGImages', 'SegmentationClass', 'SegmentationClassAug'):
        names = sorted(os.listdir(tmp_path / 'a' / sub))
        match, mismatch, errors = filecmp.cmpfiles(
            tmp_path / 'a' / sub, tmp_path / 'b' / sub, names, shallow=False)
        assert not mismatch and not errors and len(match) == len(names)
    other = dict(SMALL_TOY, seed=SMALL_TOY['seed'] + 1)
    img_a, lab_a, _ = make_sample(0, ToyVOCConfig(**SMALL_TOY))
    img_c, lab_c, _ = make_sample(0, ToyVOCConfig(**other))
    assert img_a.shape != img_c.shape or not np.array_equal(img_a, img_c)


def test_kept_when_same_params_refused_when_different(toy_root):
    stamp = os.path.getmtime(osp.join(toy_root, 'stats.json'))
    generate(toy_root, ToyVOCConfig(**SMALL_TOY))
    assert os.path.getmtime(osp.join(toy_root, 'stats.json')) == stamp
    with pytest.raises(FileExistsError, match='toy_voc'):
        generate(toy_root, ToyVOCConfig(**dict(SMALL_TOY, seed=99)))


def test_failed_generation_leaves_nothing(tmp_path, monkeypatch):

    def broken(out, cfg, params):
        os.makedirs(osp.join(out, 'JPEGImages'))
        raise RuntimeError('disk full')

    monkeypatch.setattr(gen_mod, '_write', broken)
    with pytest.raises(RuntimeError, match='disk full'):
        generate(str(tmp_path / 'toy'), ToyVOCConfig(**SMALL_TOY))
    assert os.listdir(tmp_path) == []


def test_problem_design_shows_in_statistics():
    """Parts are small, bodies shared by families, companions co-occur."""
    cfg = ToyVOCConfig(num_train_aug=300, num_train=10, num_val=10)
    labels, parts = {}, {}
    for i in range(300):
        _, labels[i], parts[i] = make_sample(i, cfg)
    stats = gen_mod.stats_of(labels, parts, list(range(300)), 6)
    share = np.array(stats['mean_part_share'])
    assert (share > 0.03).all() and (share < 0.25).all()
    freq = np.array(stats['images_per_class'])
    assert freq[0] > 1.5 * freq[-1]  # uneven class frequencies
    cooc = np.array(stats['cooccurrence'], float)
    # class 0's companion (1) co-occurs with it more than any other class
    assert cooc[0, 1] > 2 * max(cooc[0, 2:])
    assert cfg.family(0) == cfg.family(3) != cfg.family(1)


def test_bad_parameters():
    with pytest.raises(ValueError, match='num_classes'):
        ToyVOCConfig(num_classes=11)
    with pytest.raises(ValueError, match='num_train'):
        ToyVOCConfig(num_train=500, num_train_aug=400)


def test_generator_command_line_covers_every_field():
    parser = config_parser('x', ToyVOCConfig, skip=('names', ))
    args = parser.parse_args(['out', '--num-classes', '4', '--min-size', '96'])
    assert config_from_args(args, ToyVOCConfig, skip=('names', )) == \
        ToyVOCConfig(num_classes=4, min_size=96)
    default = parser.parse_args(['out'])
    assert config_from_args(
        default, ToyVOCConfig, skip=('names', )) == ToyVOCConfig()
