"""Every config parses and builds; the real ones state IRN's recipe."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from conftest import REPO

CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True))
CONFIGS = [c for c in CONFIGS if '_base_' not in c]
IRN_CONFIGS = [c for c in CONFIGS if '/irn/' in c]
SEG_CONFIGS = [c for c in CONFIGS if '/deeplabv3/' in c]
PIPELINE_CONFIGS = [c for c in CONFIGS if '/pipeline/' in c]
CONFIGS = [c for c in CONFIGS if '/cam/' in c or '/comnet/' in c]
assert len(CONFIGS) >= 30 and len(IRN_CONFIGS) == 3
assert len(SEG_CONFIGS) == 3 and len(PIPELINE_CONFIGS) == 6


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds(path):
    cfg = Config.fromfile(path)
    init_default_scope(cfg.default_scope)
    model = MODELS.build(cfg.model)
    model.eval()
    feats = model.extract_feat(torch.rand(1, 3, 128, 128))
    # output stride 16 on VOC and COCO (IRN), 8 on the toy (VOC's 32 x 32
    # points from a 256 crop, docs/benchmark.md)
    stride = 8 if 'toy' in path else 16
    assert feats[-1].shape[-2:] == (128 // stride, 128 // stride)
    necks = cfg.model.get('neck') or []
    group = [n for n in necks if n.type == 'InterMatching']
    if group:  # the sampler's group size is the one the neck expects
        assert group[0].group_size == cfg.train_dataloader.dataset.group_size
    assert model.head.num_classes == cfg.model.data_preprocessor.num_classes
    assert cfg.train_dataloader.collate_fn.type == 'group_collate'
    assert cfg.train_dataloader.dataset.type == 'CoOccurrentGroupDataset'


@pytest.mark.parametrize('name, classes, root', [
    ('cam_r50_voc', 20, 'data/VOCdevkit/VOC2012'),
    ('cam_r50_coco', 80, 'data/coco2014'),
])
def test_irn_recipe(name, classes, root):
    cfg = Config.fromfile(osp.join(REPO, 'configs/cam', name + '.py'))
    m = cfg.model
    assert m.backbone.depth == 50 and m.backbone.frozen_stages == 2
    assert m.backbone.strides == (1, 2, 2, 1)
    assert m.backbone.norm_cfg.requires_grad is False and m.backbone.norm_eval
    assert m.backbone.init_cfg.checkpoint == 'torchvision://resnet50'
    assert m.head.num_classes == classes
    opt = cfg.optim_wrapper
    assert opt.optimizer.lr == 0.1 and opt.optimizer.weight_decay == 1e-4
    assert opt.paramwise_cfg.custom_keys['head'].lr_mult == 10.0
    assert cfg.param_scheduler[0].type == 'PolyLR'
    assert cfg.param_scheduler[0].power == 0.9
    assert cfg.train_cfg.max_epochs == 5
    loader = cfg.train_dataloader
    assert loader.batch_size * loader.dataset.group_size == 16
    inner = loader.dataset.dataset
    assert inner.data_root == root
    crop = [t for t in inner.pipeline if t.type == 'RandomCropPad'][0]
    assert crop.crop_size == 512


def test_comnet_config_is_the_paper_setting():
    cfg = Config.fromfile(osp.join(REPO, 'configs/comnet/comnet_r50_voc.py'))
    inter, intra = cfg.model.neck
    assert (inter.type, inter.alpha, inter.group_size) == ('InterMatching',
                                                           1.5, 2)
    assert (intra.type, intra.k, intra.in_channels) == ('IntraMatching', 8,
                                                        2048)
    assert cfg.model.head.in_channels == intra.mlp_channels[-1] == 512
    base = Config.fromfile(osp.join(REPO, 'configs/cam/cam_r50_voc.py'))
    for c in (cfg, base):
        c.model.pop('neck')
        c.model.head.pop('in_channels')
    assert cfg.model == base.model  # nothing else differs
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys['neck'].lr_mult == 10


@pytest.mark.parametrize('path', IRN_CONFIGS, ids=osp.basename)
def test_irn_config_builds(path):
    cfg = Config.fromfile(path)
    init_default_scope(cfg.default_scope)
    cfg.model.backbone.init_cfg = None  # the CAM checkpoint is not here
    from mmseg.registry import DATASETS as SEG_DATASETS
    from mmseg.registry import MODELS as SEG_MODELS

    import comnet_mm  # noqa: F401  (COCOObjectSegDataset)
    assert SEG_DATASETS.get(cfg.train_dataloader.dataset.type) is not None
    model = SEG_MODELS.build(cfg.model)
    assert model(torch.rand(1, 3, 64, 64)).shape == (1, 1, 16, 16)
    assert cfg.seed_cfg.out_dir == \
        cfg.train_dataloader.dataset.data_prefix.seg_map_path
    assert cfg.seed_cfg.cam_dir == cfg.pseudo_cfg.cam_dir
    assert [h.type for h in cfg.custom_hooks
            ] == ['SeedGenerationHook', 'PseudoLabelHook']
    if 'r50' in path:
        assert cfg.train_dataloader.batch_size == 32
        assert cfg.train_cfg.max_epochs == 3 and model.radius == 10
        assert cfg.optim_wrapper.optimizer.lr == 0.1
        assert (cfg.pseudo_cfg.beta, cfg.pseudo_cfg.steps,
                cfg.pseudo_cfg.radius, cfg.pseudo_cfg.bg_thr) == (10.0, 256, 5,
                                                                  0.25)


@pytest.mark.parametrize('path', PIPELINE_CONFIGS, ids=osp.basename)
def test_pipeline_config_names_stage_configs(path):
    """Each pipeline names an existing config per stage, of the right kind,
    on the same data root."""
    cfg = Config.fromfile(path)
    kinds = dict(
        cam=('/cam/', '/comnet/'), irn=('/irn/', ), seg=('/deeplabv3/', ))
    for key, dirs in kinds.items():
        stage = osp.join(REPO, cfg[key].config)
        assert osp.isfile(stage) and any(d in stage for d in dirs), key
        assert Config.fromfile(stage).data_root == cfg.data_root, key
    assert ('comnet' in osp.basename(path)) == ('/comnet/' in cfg.cam.config)
