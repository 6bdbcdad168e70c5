"""Your own VOC-layout data: the classes come from the data root's
classes.txt (or the pipeline's ``classes`` key) and every stage follows.
The README's command end to end on a set of 9 classes runs from an installed
wheel: ``tests/test_install.py``."""
import pytest
from mmengine.config import Config
from mmengine.registry import DATASETS, init_default_scope

import comnet_mm  # noqa: F401  (registers the datasets)
from comnet_mm.pipeline import (Pipeline, apply_classes, pipeline_classes,
                                read_classes)
from comnet_mm.toy import ToyVOCConfig, generate
from conftest import REPO, SMALL_TOY


def test_apply_classes_hand_case():
    old, new = ('a', 'b'), ('x', 'y', 'z', 'w')
    cfg = dict(
        classes=('a', 'b'),
        model=dict(
            head=dict(num_classes=2),
            aux=dict(num_classes=3),
            other=dict(num_classes=30, flag=True)),
        meta=dict(classes=['background', 'a', 'b']),
        metric=dict(class_names=('a', 'b'), num_classes=2),
        keep=('a', ),
        n=2)
    out = apply_classes(cfg, old, new)
    assert out == dict(
        classes=('x', 'y', 'z', 'w'),
        model=dict(
            head=dict(num_classes=4),
            aux=dict(num_classes=5),
            other=dict(num_classes=30, flag=True)),
        meta=dict(classes=['background', 'x', 'y', 'z', 'w']),
        metric=dict(class_names=('x', 'y', 'z', 'w'), num_classes=4),
        keep=('a', ),
        n=2)  # only `num_classes` keys are counts
    assert cfg['classes'] == ('a', 'b')  # a copy


@pytest.mark.parametrize('text, match', [
    (None, 'classes file not found'),
    ('\n\n', 'lists no class'),
    ('cat\ndog\ncat\n', 'names a class twice'),
    ('background\ncat\n', 'foreground classes only'),
])
def test_read_classes_errors(text, match, tmp_path):
    path = tmp_path / 'classes.txt'
    if text is not None:
        path.write_text(text)
    with pytest.raises((FileNotFoundError, ValueError), match=match):
        read_classes(str(path))


def test_read_classes_strips_names(tmp_path):
    (tmp_path / 'classes.txt').write_text('cat\n dog \n\n')
    assert read_classes(str(tmp_path / 'classes.txt')) == ('cat', 'dog')


def test_pipeline_classes_precedence(tmp_path):
    (tmp_path / 'classes.txt').write_text('cat\ndog\n')
    cfg = Config(dict(data_root=str(tmp_path)))
    assert pipeline_classes(cfg) == ('cat', 'dog')
    cfg.classes = ('x', 'y', 'z')
    assert pipeline_classes(cfg) == ('x', 'y', 'z')
    assert pipeline_classes(Config(dict(data_root=str(tmp_path / 'no')))) \
        is None


def _stage_configs(root, tmp_path, **extra):
    cfg = Config.fromfile(f'{REPO}/configs/pipeline/comnet_toy.py')
    cfg.data_root = str(root)
    cfg.merge_from_dict(extra)
    pipe = Pipeline(cfg, str(tmp_path / 'work'))
    return {
        s.config: Config.fromfile(pipe.stage_config(s))
        for s in pipe.chain if s.tool == 'train' and not s.shared
    }


@pytest.mark.parametrize('num_classes', [4, 9])
def test_stage_configs_follow_the_data(num_classes, tmp_path):
    """Every class-dependent value of the three toy stage configs, from a
    data root with another number of classes and nothing else changed."""
    root = tmp_path / 'data'
    generate(
        str(root), ToyVOCConfig(**dict(SMALL_TOY, num_classes=num_classes)))
    names = read_classes(str(root / 'classes.txt'))
    assert len(names) == num_classes
    cfgs = _stage_configs(root, tmp_path)
    cam, irn, seg = cfgs['cam'], cfgs['irn'], cfgs['seg']
    for c in (cam, irn, seg):
        assert tuple(c.classes) == names
    assert cam.model.head.num_classes == num_classes
    assert cam.model.data_preprocessor.num_classes == num_classes
    assert cam.cam_cfg.metric.num_classes == num_classes
    assert tuple(cam.cam_cfg.metric.class_names) == names
    assert tuple(cam.train_dataloader.dataset.dataset.metainfo.classes) == \
        names
    assert tuple(irn.train_dataloader.dataset.metainfo.classes) == \
        ('background', ) + names
    assert tuple(irn.pseudo_cfg.eval_dataset.metainfo.classes) == names
    assert seg.model.decode_head.num_classes == num_classes + 1
    assert seg.model.auxiliary_head.num_classes == num_classes + 1
    assert tuple(seg.val_dataloader.dataset.metainfo.classes) == \
        ('background', ) + names
    # the CAM datasets read tags up to the last class from these masks
    init_default_scope('mmpretrain')
    data = DATASETS.build(cam.cam_cfg.dataset)
    data.full_init()
    tags = [data.get_data_info(i)['gt_label'] for i in range(len(data))]
    assert max(max(t) for t in tags if len(t)) == num_classes - 1


def test_fewer_classes_than_the_data_is_an_error_naming_the_mask(tmp_path):
    root = tmp_path / 'data'
    generate(str(root), ToyVOCConfig(**dict(SMALL_TOY, num_classes=5)))
    cfgs = _stage_configs(root, tmp_path, classes=('p', 'q', 'r'))
    init_default_scope('mmpretrain')
    with pytest.raises(
            ValueError,
            match=r'mask .*\.png holds labels \[\d\] outside 0\.\.3'):
        DATASETS.build(cfgs['cam'].cam_cfg.dataset).full_init()


def test_a_stage_config_without_classes_is_refused(tmp_path):
    root = tmp_path / 'data'
    root.mkdir()
    (root / 'classes.txt').write_text('cat\ndog\n')
    cfg = Config.fromfile(f'{REPO}/configs/pipeline/baseline_r50_voc.py')
    cfg.data_root = str(root)
    pipe = Pipeline(cfg, str(tmp_path / 'work'))
    with pytest.raises(KeyError, match='no top-level `classes`'):
        pipe.stage_config(next(s for s in pipe.chain if s.config == 'cam'))
