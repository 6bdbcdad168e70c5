"""The toy's ImageNet stand-in: the generated set, its classifier config,
and every toy stage starting from its checkpoint."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
from PIL import Image

from comnet_mm.toy import ToyVOCConfig
from comnet_mm.toy.generator import class_look
from comnet_mm.toy.pretrain import (ToyImageNetConfig, class_looks,
                                    class_names, generate_pretrain)
from conftest import REPO

SMALL = dict(num_classes=9, train_per_class=3, val_per_class=2, size=64)
STAGES = ('configs/cam/cam_toy.py', 'configs/comnet/comnet_toy.py',
          'configs/irn/irn_toy.py',
          'configs/deeplabv3/deeplabv3_r18-d8_toy-pseudo.py')


def test_layout_labels_and_looks(tmp_path):
    root = str(tmp_path / 'imnet')
    cfg = ToyImageNetConfig(**SMALL)
    generate_pretrain(root, cfg)
    names = open(osp.join(root, 'classes.txt')).read().split()
    assert names == class_names(cfg) and len(names) == 9
    assert names[:6] == list(ToyVOCConfig().names)  # the toy classes first
    for split, per in (('train', 3), ('val', 2)):
        lines = open(osp.join(root, 'meta',
                              split + '.txt')).read().split('\n')[:-1]
        assert len(lines) == 9 * per
        for line in lines:
            rel, label = line.split()
            assert rel.split('/')[0] == names[int(label)]
            im = Image.open(osp.join(root, split, rel))
            assert im.size == (64, 64)
    # val pictures are other draws than train's
    a = np.array(Image.open(osp.join(root, 'train/alpha/alpha_00000.jpg')))
    b = np.array(Image.open(osp.join(root, 'val/alpha/alpha_00003.jpg')))
    assert np.abs(a.astype(int) - b).mean() > 10
    # every class has its own look; the toy classes' are the toy set's
    looks = class_looks(cfg)
    keys = {(tuple(p), r, f) for p, r, f in looks}
    assert len(keys) == 9
    voc = ToyVOCConfig()
    for c in range(6):
        p, r, f = class_look(c, voc)
        assert (tuple(looks[c][0]), looks[c][1], looks[c][2]) == (tuple(p), r,
                                                                  f)
    # kept when the parameters match, refused when they differ
    assert generate_pretrain(root, cfg)['num_classes'] == 9
    with pytest.raises(FileExistsError, match='parameters'):
        generate_pretrain(root, ToyImageNetConfig(**dict(SMALL, seed=1)))


@pytest.mark.parametrize('config', STAGES)
def test_stages_start_from_the_pretrained_backbone(config, tmp_path):
    """Each toy stage's backbone, after init_weights, holds exactly the
    pretraining checkpoint's backbone weights (no key left behind)."""
    pre_cfg = Config.fromfile(
        f'{REPO}/configs/pretrain/resnet18-narrow_toy-imagenet.py')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pre = MODELS.build(pre_cfg.model)
    torch.manual_seed(0)
    for p in pre.parameters():
        p.data.normal_()
    ckpt = str(tmp_path / 'pre.pth')
    torch.save(dict(state_dict=pre.state_dict()), ckpt)
    cfg = Config.fromfile(f'{REPO}/{config}')
    assert cfg.model.backbone.init_cfg.checkpoint == cfg.pretrain_checkpoint
    cfg.model.backbone.init_cfg.checkpoint = ckpt
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    model.init_weights()
    got = model.backbone.state_dict()
    want = {
        k[len('backbone.'):]: v
        for k, v in pre.state_dict().items() if k.startswith('backbone.')
    }
    assert set(got) == set(want)
    for k in want:
        assert torch.equal(got[k], want[k]), k
