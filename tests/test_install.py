"""A non-editable install (a built wheel) runs the pipeline away from the
repository, on a user's own data and on 2 CPU ranks: the stage tools and
configs come from ``comnet_mm/.mim``, the classes from the data root's
classes.txt."""
import glob
import json
import os.path as osp
import shutil
import sys

import pytest

from comnet_mm.pipeline import CHAIN, read_classes
from comnet_mm.toy import ToyVOCConfig, generate
from conftest import (REPO, SMALL_TOY, SMOKE, free_port, run_tool,
                      small_imagenet)

#: what a clean clone holds that the build reads
SOURCES = ('comnet_mm', 'configs', 'tools', 'setup.py', 'setup.cfg',
           'README.md')


@pytest.mark.slow
def test_wheel_install_runs_the_pipeline_on_own_classes_and_two_ranks(
        tmp_path):
    """The README's command from the installed wheel, every stage
    shortened, on a generated set of 9 classes (more than the toy's 6; the
    stage configs' class values for 4 and 9 classes:
    ``tests/test_own_data.py``), with ``--launcher pytorch`` (2 CPU
    processes, gloo): every stage runs under torchrun, the per-image steps
    split the images between the ranks, and every class is scored. One run
    for both (the single-process pipeline: ``make demo``'s test)."""
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

    root = tmp_path / 'data'
    generate(str(root), ToyVOCConfig(**dict(SMALL_TOY, num_classes=9)))
    imagenet = small_imagenet(tmp_path / 'imagenet')
    work = tmp_path / 'work'
    out = run_tool([
        sys.executable,
        osp.join(tools, 'run_pipeline.py'), 'configs/pipeline/comnet_toy.py',
        '--work-dir',
        str(work), '--data-root',
        str(root), '--pretrain-data-root', imagenet, '--launcher', 'pytorch',
        '--gpus', '2', '--port',
        str(free_port()), '--no-vis', '--cfg-options', *SMOKE
    ],
                   cwd=str(tmp_path),
                   env=env)
    log = out.stdout + out.stderr
    commands = [
        line for line in log.splitlines()
        if line.startswith('[') and 'tools/' in line
    ]
    assert len(commands) == len(CHAIN)
    for line in commands:
        assert '-m torch.distributed.run --nproc_per_node=2' in line
        assert '--launcher pytorch' in line
    row = json.load(open(work / 'results.json'))['comnet_toy']
    assert set(row['wall_s']) == {s.name for s in CHAIN}
    run = work / 'comnet_toy'
    for name in (s.name for s in CHAIN):
        folder = work / name if name == 'pretrain' else run / name
        command = json.load(open(folder / 'stage.json'))['command']
        tool, = [a for a in command if '/tools/' in a]
        assert tool.startswith(tools), (name, command)
    for stage, what in (('cam', 'CAM files'), ('irn', 'pseudo masks')):
        text = open(run / stage / 'stage_output.log').read()
        for rank in (0, 1):
            assert f'rank {rank}: wrote 4 {what} of 4' in text
    # the CAM metric's per-class line names background and every class
    names = read_classes(str(root / 'classes.txt'))
    assert len(names) == 9
    log = open(run / 'cam' / 'stage_output.log').read()
    line = next(t for t in log.splitlines() if 'CAM IoU per class' in t)
    assert all(f' {n} ' in line + ' ' for n in ('background', ) + names)
    seg = json.load(open(run / 'seg_test' / 'test_metrics.json'))
    assert 0 <= seg['mIoU'] <= 100
    assert seg['mIoU'] == row['metrics']['DeepLabV3 mIoU']
