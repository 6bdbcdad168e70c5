"""The final segmenter: DeepLabV3 configs inheriting mmseg's through
``mmseg::``, the test-time CRF switch, and a short toy run + tools/test.py."""
import json
import os.path as osp
import sys

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import comnet_mm  # noqa: F401  (registers CRFEncoderDecoder)
from comnet_mm.pipeline import rebase_paths
from comnet_mm.structures.crf import crf_probs
from conftest import REPO, run_tool, write_image, write_mask

VOC = f'{REPO}/configs/deeplabv3/deeplabv3_r50-d8_voc12aug-pseudo.py'
COCO = f'{REPO}/configs/deeplabv3/deeplabv3_r50-d8_coco14-pseudo.py'
TOY = f'{REPO}/configs/deeplabv3/deeplabv3_r18-d8_toy-pseudo.py'


def _fixture(root, ids, img_dir, mask_dirs, splits):
    for i, name in enumerate(ids):
        write_image(osp.join(root, img_dir, name + '.jpg'), 40, 48, seed=i)
        for d in mask_dirs:
            label = np.zeros((40, 48), np.uint8)
            label[10:30, 10:30] = i + 1
            write_mask(osp.join(root, d, name + '.png'), label)
    for path, names in splits.items():
        with open(osp.join(root, path), 'w') as f:
            f.write(''.join(n + '\n' for n in names))


def _unscoped(obj):
    """``obj`` without the ``_scope_`` keys ``mmseg::`` inheritance adds."""
    if isinstance(obj, dict):
        return {k: _unscoped(v) for k, v in obj.items() if k != '_scope_'}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_unscoped(v) for v in obj)
    return obj


@pytest.mark.parametrize('config', [VOC, COCO])
def test_mmseg_inheritance_builds(config, tmp_path):
    """The mmseg:: base resolves: mmseg's DeepLabV3 R50-D8 recipe is kept,
    only the training masks (the pseudo masks) and classes change; model
    and both datasets build on a fixture in the real layout."""
    from mmseg.registry import DATASETS, MODELS
    cfg = Config.fromfile(config)
    import mmseg
    base = Config.fromfile(
        osp.join(
            osp.dirname(mmseg.__file__), '.mim', 'configs', 'deeplabv3',
            'deeplabv3_r50-d8_4xb4-20k_voc12aug-512x512.py'))
    assert cfg.model.backbone == base.model.backbone
    assert cfg.model.decode_head.type == 'ASPPHead'
    assert cfg.model.type == 'CRFEncoderDecoder' and cfg.model.crf is None
    assert _unscoped(cfg.optim_wrapper) == base.optim_wrapper
    if config == VOC:  # COCO is 8x larger: 80k iterations
        assert _unscoped(cfg.param_scheduler) == base.param_scheduler
        assert _unscoped(cfg.train_cfg) == base.train_cfg
    else:
        assert cfg.param_scheduler[0].end == cfg.train_cfg.max_iters == 80000
    assert _unscoped(cfg.train_dataloader.dataset.pipeline) == \
        base.train_pipeline
    assert cfg.train_dataloader.dataset.data_prefix.seg_map_path == \
        cfg.pseudo_dir
    n_cls = 21 if config == VOC else 81
    assert cfg.model.decode_head.num_classes == n_cls
    assert cfg.model.auxiliary_head.num_classes == n_cls

    root, pseudo = str(tmp_path / 'data'), str(tmp_path / 'pseudo')
    ids = ['2007_000032', '2007_000039'] if config == VOC else [
        'COCO_train2014_000000000009', 'COCO_train2014_000000000025'
    ]
    if config == VOC:
        (tmp_path / 'data' / 'ImageSets' / 'Segmentation').mkdir(parents=True)
        _fixture(
            root, ids, 'JPEGImages', ['SegmentationClass'], {
                'ImageSets/Segmentation/train_aug.txt': ids,
                'ImageSets/Segmentation/val.txt': ids[:1]
            })
    else:
        (tmp_path / 'data' / 'ImageSets').mkdir(parents=True)
        _fixture(root, ids, 'train2014', [], {'ImageSets/train.txt': ids})
        _fixture(root, ids[:1], 'val2014', ['SegmentationClass/val2014'],
                 {'ImageSets/val.txt': ids[:1]})
    for i, name in enumerate(ids):
        write_mask(
            osp.join(pseudo, name + '.png'), np.full((40, 48), i + 1,
                                                     np.uint8))
    moved = Config(
        rebase_paths(cfg.to_dict(), {
            cfg.data_root: root,
            cfg.pseudo_dir: pseudo
        }))
    init_default_scope('mmseg')
    train = DATASETS.build(moved.train_dataloader.dataset)
    val = DATASETS.build(moved.val_dataloader.dataset)
    assert len(train) == 2 and len(val) == 1
    assert train.metainfo['classes'][0] == 'background'
    assert len(train.metainfo['classes']) == n_cls
    info = train.get_data_info(1)
    assert info['seg_map_path'] == osp.join(pseudo, ids[1] + '.png')
    assert val.get_data_info(0)['seg_map_path'].startswith(root)
    sample = train[1]
    assert set(np.unique(
        sample['data_samples'].gt_sem_seg.data)) <= {0, 2, 255}
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'CRFEncoderDecoder'


def _toy_model(crf=None):
    from mmseg.apis import init_model
    cfg = Config.fromfile(TOY)
    cfg.model.backbone.init_cfg = None
    cfg.model.crf = crf
    torch.manual_seed(0)
    return init_model(cfg, None, device='cpu')


def test_crf_switch(toy_root):
    """crf=None is mmseg's EncoderDecoder exactly; crf={} replaces each
    prediction by the argmax of the dense CRF on softmax(seg_logits) and the
    image, which changes predictions."""
    from mmseg.apis import inference_model
    from mmseg.models.segmentors import EncoderDecoder
    plain = _toy_model()
    with_crf = _toy_model(crf={})
    with_crf.load_state_dict(plain.state_dict())
    ref_cfg = plain.cfg.model.copy()
    for key in ('type', 'crf', '_scope_'):
        ref_cfg.pop(key, None)
    ref = EncoderDecoder(**ref_cfg)
    ref.load_state_dict(plain.state_dict())
    ref.cfg = plain.cfg
    ref.eval()
    changed = 0
    for name in ('toy_000000', 'toy_000001'):
        path = osp.join(toy_root, 'JPEGImages', name + '.jpg')
        a = inference_model(plain, path)
        b = inference_model(with_crf, path)
        assert torch.equal(a.seg_logits.data, b.seg_logits.data)
        r = inference_model(ref, path)
        assert torch.equal(r.pred_sem_seg.data, a.pred_sem_seg.data)
        assert torch.equal(a.pred_sem_seg.data[0], a.seg_logits.data.argmax(0))
        img = mmcv.imread(path, channel_order='rgb')
        q = crf_probs(img, a.seg_logits.data.softmax(0).numpy())
        assert np.array_equal(b.pred_sem_seg.data[0].numpy(), q.argmax(0))
        changed += int((a.pred_sem_seg.data != b.pred_sem_seg.data).sum())
    assert changed > 0
    with pytest.raises(TypeError, match='crf'):
        _toy_model(crf=True)


def _test_tool():
    sys.path.insert(0, osp.join(osp.dirname(__file__), '..', 'tools'))
    try:
        import test
    finally:
        sys.path.pop(0)
    return test


def test_enable_crf_in_test_tool():
    enable_crf = _test_tool().enable_crf
    cfg = Config(dict(model=dict(type='EncoderDecoder')))
    enable_crf(cfg)
    assert cfg.model.type == 'CRFEncoderDecoder' and cfg.model.crf == {}
    cfg = Config(dict(model=dict(type='CRFEncoderDecoder', crf=dict(iters=5))))
    enable_crf(cfg)
    assert cfg.model.crf == dict(iters=5)
    with pytest.raises(ValueError, match='ImageClassifier'):
        enable_crf(Config(dict(model=dict(type='ImageClassifier'))))


def test_enable_tta_in_test_tool():
    """--tta wraps the model in the config's tta_model and feeds it the
    tta_pipeline; with a CRF on (which SegTTAModel would drop) it is an
    error, as is a config without TTA settings."""
    enable_tta = _test_tool().enable_tta
    tta = [dict(type='LoadImageFromFile'), dict(type='TestTimeAug')]
    cfg = Config(
        dict(
            model=dict(type='CRFEncoderDecoder', crf=None),
            tta_model=dict(type='SegTTAModel'),
            tta_pipeline=tta,
            test_dataloader=dict(dataset=dict(pipeline=[]))))
    enable_tta(cfg, 'a.py')
    assert cfg.model.type == 'SegTTAModel'
    assert cfg.model.module == dict(type='CRFEncoderDecoder', crf=None)
    assert cfg.test_dataloader.dataset.pipeline == tta
    cfg = Config(
        dict(
            model=dict(type='CRFEncoderDecoder', crf={}),
            tta_model=dict(type='SegTTAModel'),
            tta_pipeline=tta,
            test_dataloader=dict(dataset=dict(pipeline=[]))))
    with pytest.raises(ValueError, match='CRF'):
        enable_tta(cfg, 'a.py')
    with pytest.raises(KeyError, match='b.py'):
        enable_tta(Config(dict(model=dict(type='EncoderDecoder'))), 'b.py')


@pytest.mark.slow
def test_toy_train_then_test_tool(toy_root, tmp_path):
    """A few DeepLabV3 iterations on (here: ground-truth stand-in) masks
    with tools/train.py, then tools/test.py with and without --crf and with
    a one-view --tta: mIoU from mmseg's IoUMetric, written to
    test_metrics.json. Without the CRF it is the training run's own
    validation of the same checkpoint on the same images, and a one-view
    TTA (SegTTAModel averaging one softmax) predicts exactly the same."""
    opts = [
        f'train_dataloader.dataset.ann_file={toy_root}/ImageSets/'
        'Segmentation/train_aug.txt',
        f'train_dataloader.dataset.data_prefix.img_path={toy_root}/JPEGImages',
        'train_dataloader.dataset.data_prefix.seg_map_path='
        f'{toy_root}/SegmentationClassAug',
        'train_dataloader.dataset.indices=8',
        'train_dataloader.batch_size=4',
        f'val_dataloader.dataset.data_root={toy_root}',
        f'test_dataloader.dataset.data_root={toy_root}',
        'val_dataloader.dataset.indices=6',
        'test_dataloader.dataset.indices=6',
        'model.backbone.init_cfg=None',
        'train_cfg.max_iters=3',
        'train_cfg.val_interval=3',
        'default_hooks.checkpoint.interval=3',
    ]
    work = tmp_path / 'seg'
    out = run_tool([
        sys.executable, 'tools/train.py', TOY, '--work-dir',
        str(work), '--cfg-options', *opts
    ])
    assert 'mIoU' in out.stdout + out.stderr
    ckpt = str(work / 'iter_3.pth')
    val = [
        json.loads(line)
        for line in open(next(work.glob('*/vis_data/scalars.json')))
    ]
    val = [v for v in val if 'mIoU' in v]
    assert len(val) == 1 and val[0]['step'] == 3
    metrics = {}
    for crf in ([], ['--crf']):
        test_dir = tmp_path / ('test' + ''.join(crf))
        run_tool([
            sys.executable, 'tools/test.py', TOY, ckpt, '--work-dir',
            str(test_dir), *crf, '--show-dir', 'show', '--cfg-options', *opts,
            'default_hooks.visualization.interval=1'
        ])
        metrics[bool(crf)] = json.load(open(test_dir / 'test_metrics.json'))
        assert 0 <= metrics[bool(crf)]['mIoU'] <= 100
        assert len(list((test_dir / 'show').rglob('*.png'))) == 6
        dumped = Config.fromfile(str(test_dir / osp.basename(TOY)))
        # --crf takes the config's crf_params (scaled to the toy's images)
        assert dumped.model.crf == (
            dict(gauss_sxy=1.5, bilat_sxy=25) if crf else None)
    for key in ('aAcc', 'mIoU', 'mAcc'):
        assert metrics[False][key] == val[0][key], key

    one_view = tmp_path / 'one_view_tta.py'
    one_view.write_text(
        f'_base_ = [{osp.abspath(TOY)!r}]\n'
        'tta_pipeline = [\n'
        '    dict(type="LoadImageFromFile"),\n'
        '    dict(type="TestTimeAug", transforms=[\n'
        '        [dict(type="Resize", scale=(160, 160), keep_ratio=True)],\n'
        '        [dict(type="LoadAnnotations")],\n'
        '        [dict(type="PackSegInputs")]])]\n')
    tta_dir = tmp_path / 'test-tta'
    run_tool([
        sys.executable, 'tools/test.py',
        str(one_view), ckpt, '--work-dir',
        str(tta_dir), '--tta', '--cfg-options', *opts
    ])
    dumped = Config.fromfile(str(tta_dir / one_view.name))
    assert dumped.model.type == 'SegTTAModel'
    assert dumped.test_dataloader.dataset.pipeline[1].type == 'TestTimeAug'
    tta = json.load(open(tta_dir / 'test_metrics.json'))
    assert tta == metrics[False]
