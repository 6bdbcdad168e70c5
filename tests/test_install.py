"""A non-editable install (a built wheel) runs the pipeline away from the
repository: the stage tools and configs come from ``comnet_mm/.mim``."""
import glob
import json
import os.path as osp
import shutil
import sys

import pytest

from conftest import REPO, SMOKE, run_tool, small_imagenet

#: what a clean clone holds that the build reads
SOURCES = ('comnet_mm', 'configs', 'tools', 'setup.py', 'setup.cfg',
           'README.md')


@pytest.mark.slow
def test_wheel_install_runs_the_pipeline(toy_root, tmp_path):
    src = tmp_path / 'src'
    for name in SOURCES:
        path = osp.join(REPO, name)
        if osp.isdir(path):
            shutil.copytree(
                path,
                src / name,
                ignore=shutil.ignore_patterns('__pycache__', '*.pyc',
                                              '*.egg-info'))
        else:
            shutil.copy(path, src / name)
    run_tool([
        sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
        '--no-build-isolation', '-w',
        str(tmp_path / 'wheel'),
        str(src)
    ],
             cwd=str(tmp_path))
    wheel, = glob.glob(str(tmp_path / 'wheel' / 'comnet_mm-*.whl'))
    site = tmp_path / 'site'
    run_tool([
        sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--target',
        str(site), wheel
    ],
             cwd=str(tmp_path))
    env = dict(PYTHONPATH=str(site))
    # the installed copy is the one imported, and it finds its own tools
    out = run_tool([
        sys.executable, '-c',
        'import comnet_mm.pipeline as p; print(p.__file__); '
        'print(p.TOOLS)'
    ],
                   cwd=str(tmp_path),
                   env=env)
    module, tools = out.stdout.split()
    assert module.startswith(str(site))
    assert tools == str(site / 'comnet_mm' / '.mim' / 'tools')

    imagenet = small_imagenet(tmp_path / 'imagenet')
    work = tmp_path / 'work'
    run_tool([
        sys.executable,
        osp.join(tools, 'run_pipeline.py'), 'configs/pipeline/baseline_toy.py',
        '--work-dir',
        str(work), '--data-root', toy_root, '--pretrain-data-root', imagenet,
        '--no-vis', '--cfg-options', *SMOKE
    ],
             cwd=str(tmp_path),
             env=env)
    row = json.load(open(work / 'results.json'))['baseline_toy']
    assert 0 <= row['metrics']['DeepLabV3 mIoU'] <= 100
    stage = json.load(open(work / 'baseline_toy' / 'cam' / 'stage.json'))
    assert stage['command'][1].startswith(tools)
