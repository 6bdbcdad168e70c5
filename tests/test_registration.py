"""Our modules are reachable from plain mmseg and mmpretrain configs."""
import sys
import textwrap

from conftest import run_tool

BUILD = textwrap.dedent('''
    import sys
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(sys.argv[1])
    init_default_scope(cfg.default_scope)
    if cfg.default_scope == 'mmseg':
        from mmseg.registry import MODELS, DATASETS, TRANSFORMS
    else:
        from mmpretrain.registry import MODELS, DATASETS, TRANSFORMS
    model = MODELS.build(cfg.model)
    head = MODELS.build(cfg.head)
    t = TRANSFORMS.build(dict(type='RandomCropPad', crop_size=8))
    print(type(model).__name__, type(head).__name__, type(t).__name__,
          DATASETS.get('CoOccurrentGroupDataset').__name__,
          DATASETS.get('VOCTagDataset').__name__)
''')

CONFIG = textwrap.dedent('''
    default_scope = '{scope}'
    custom_imports = dict(imports=['comnet_mm'], allow_failed_imports=False)
    model = dict(
        type='CAMClassifier',
        backbone=dict(type='ResNet', depth=18, out_indices=(3, )),
        head=dict(type='CAMHead', num_classes=20, in_channels=512))
    head = dict(type='CAMHead', num_classes=3, in_channels=4)
''')


def _check(tmp_path, scope):
    cfg = tmp_path / f'{scope}_cfg.py'
    cfg.write_text(CONFIG.format(scope=scope))
    script = tmp_path / 'build.py'
    script.write_text(BUILD)
    out = run_tool([sys.executable, str(script), str(cfg)]).stdout.split()
    assert out == [
        'CAMClassifier', 'CAMHead', 'RandomCropPad', 'CoOccurrentGroupDataset',
        'VOCTagDataset'
    ]


def test_mmpretrain_config(tmp_path):
    _check(tmp_path, 'mmpretrain')


def test_mmseg_config(tmp_path):
    _check(tmp_path, 'mmseg')


def test_unknown_without_import(tmp_path):
    """Without custom_imports the names are unknown (the test can fail)."""
    script = tmp_path / 'probe.py'
    script.write_text('from mmseg.registry import MODELS\n'
                      'import mmseg.models\n'
                      'print(MODELS.get("CAMHead"))\n')
    assert run_tool([sys.executable, str(script)]).stdout.strip() == 'None'
