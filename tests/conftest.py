import os
import os.path as osp
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import warnings

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import comnet_mm  # noqa: F401,E402  (registers our modules)
from comnet_mm.toy import ToyVOCConfig, generate  # noqa: E402
from comnet_mm.toy.pretrain import ToyImageNetConfig  # noqa: E402
from comnet_mm.toy.pretrain import generate_pretrain  # noqa: E402
from comnet_mm.utils.per_image import PARTIAL_PREFIX  # noqa: E402

# One torch thread in each pytest-xdist worker: `make test` runs one worker
# per core, and torch's default (one intra-op thread per core in every
# worker) oversubscribes the cores. On 2 cores that made the small float64
# products of the Lanczos tests ~50x slower (7 ms per einsum of a few
# thousand numbers; docs/benchmark.md). The tools the tests start run
# single-threaded already (run_tool). One process alone (TEST_JOBS=0)
# keeps torch's default.
if os.environ.get('PYTEST_XDIST_WORKER'):
    torch.set_num_threads(1)

# Small enough to generate in about a second, large enough for every class;
# images at the earlier 96..160 px keep the tests fast.
SMALL_TOY = dict(
    num_train_aug=48,
    num_train=16,
    num_val=16,
    seed=3,
    min_size=96,
    max_size=160,
    size_step=16)

#: the longest end-to-end tests, longest first (``--durations`` on the 2-core
#: AVX2 machine, 2026-12-07): collected first, so that both workers start on
#: them and the short tests fill in at the end. A wrong order costs time only.
LONGEST = ('test_make_demo_reduced_then_resume',
           'test_wheel_install_runs_the_pipeline_on_own_classes_and_two_ranks',
           'test_run_ablations_tool_end_to_end', 'test_cam_to_pseudo_masks',
           'test_seeds_from_two_ranks_equal_one_rank',
           'test_make_pseudo_labels_killed_midway_then_rerun')


def pytest_collection_modifyitems(config, items):
    """The end-to-end tests (marked slow) first, the :data:`LONGEST` ones
    first among them, the rest in their file order: `make test` hands the
    tests to its pytest-xdist workers a few at a time in this order
    (``--dist loadgroup``: each test alone, but the two tests of one
    ``xdist_group`` together, which share a module or session fixture), so
    no long test starts last and runs alone while the other worker idles."""
    rank = {name: i for i, name in enumerate(LONGEST)}
    items.sort(key=lambda item: (item.get_closest_marker('slow') is None,
                                 rank.get(item.originalname, len(rank))))


@pytest.fixture(scope='session')
def toy_root(tmp_path_factory):
    """A small toy VOC set, with a stand-in pretraining checkpoint beside
    it (:func:`pretrain_checkpoint`)."""
    root = str(tmp_path_factory.mktemp('toy') / 'toy_voc')
    generate(root, ToyVOCConfig(**SMALL_TOY))
    write_pretrain_checkpoint(pretrain_checkpoint(root))
    return root


def pretrain_checkpoint(toy_root: str) -> str:
    """Where the ``toy_root`` fixture writes the checkpoint that the toy
    stages start from in tests (``model.backbone.init_cfg.checkpoint``)."""
    return osp.join(osp.dirname(toy_root), 'pretrain.pth')


def write_pretrain_checkpoint(path: str):
    """A checkpoint of the pretraining config's classifier at its random
    init: what the stages load, without the minutes of pretraining."""

    cfg = Config.fromfile(
        osp.join(REPO, 'configs/pretrain/resnet18-narrow_toy-imagenet.py'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)


def write_image(path, h=24, w=32, seed=0):
    os.makedirs(osp.dirname(path), exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path)


def write_mask(path, label):
    os.makedirs(osp.dirname(path), exist_ok=True)
    im = Image.fromarray(np.asarray(label, dtype=np.uint8), mode='P')
    im.putpalette([0] * 768)
    im.save(path)


def run_tool(args, cwd=REPO, timeout=600, env=None):
    """Run a command as a user would, single-threaded; fail with its output.

    ``python tools/<...>.py ...`` (a repository tool, no environment of its
    own) runs in a child forked from this test process: a fresh process,
    the tool's file as ``__main__`` with its arguments, only without
    importing torch, mmseg and mmpretrain again, the ~10 s a cold start
    costs on 2 cores (:func:`_run_forked`). Everything else (``-m``
    modules, torchrun, make, bash, pip, scripts written by a test, an
    ``env`` such as an installed copy's PYTHONPATH) starts cold, and so do
    the stages ``tools/run_pipeline.py`` starts (it runs them with
    :mod:`subprocess`, as for a user)."""
    script = args[1] if len(args) > 1 and args[0] == sys.executable else ''
    tool = osp.abspath(osp.join(cwd, script)) if script else ''
    if env is None and tool.startswith(osp.join(REPO, 'tools', '')):
        proc = _run_forked(tool, list(args[2:]), cwd, timeout)
    else:
        full_env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
        full_env.update(env or {})
        proc = subprocess.run(
            args,
            cwd=cwd,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(
            f'{args} exited {proc.returncode}\n--- stdout\n'
            f'{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}')
    return proc


def _fork(tool, argv, cwd, fds, new_session=False):
    """Fork a child that runs ``tool`` as ``__main__`` with ``argv``, its
    stdout and stderr on ``fds`` (in its own session and process group with
    ``new_session``); return its pid. The child starts as a cold one would
    in what the tool can see: one torch thread, OMP_NUM_THREADS=1 and
    PYTHONPATH for the processes it starts, no mmengine instance (logger,
    message hub, scope, visualizer) left by this process, warnings to
    stderr; it ends with ``os._exit``, running none of pytest's exit
    handlers."""
    from mmengine.utils import ManagerMixin
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        if new_session:
            os.setsid()
        for fd, source in zip((1, 2), fds):
            os.dup2(source, fd)
        sys.stdout = open(1, 'w', buffering=1, closefd=False)
        sys.stderr = open(2, 'w', buffering=1, closefd=False)
        os.environ.update(PYTHONPATH=REPO, OMP_NUM_THREADS='1')
        torch.set_num_threads(1)
        todo = [ManagerMixin]
        while todo:
            cls = todo.pop()
            cls._instance_dict.clear()
            todo += cls.__subclasses__()
        warnings.showwarning = _warn_to_stderr
        os.chdir(cwd)
        sys.argv = [tool] + argv
        sys.path.insert(0, osp.dirname(tool))
        runpy.run_path(tool, run_name='__main__')
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else int(e.code is not None)
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _wait(pid, timeout, interval, kill, stop=None):
    """Poll the child ``pid`` every ``interval`` s until it ends; call
    ``kill()`` (then reap it) once ``stop()`` is true or ``timeout`` s have
    passed. Returns (its wait status, whether the timeout killed it)."""
    deadline = time.time() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status, False
        hit = stop is not None and stop()
        if hit or time.time() > deadline:
            kill()
            return os.waitpid(pid, 0)[1], not hit
        time.sleep(interval)


def _run_forked(tool, argv, cwd, timeout):
    """``tool`` as ``__main__`` in a child of this process (:func:`_fork`);
    its stdout and stderr as a CompletedProcess's."""
    files = [tempfile.TemporaryFile() for _ in range(2)]
    pid = _fork(tool, argv, cwd, [f.fileno() for f in files])
    status, late = _wait(pid, timeout, 0.05,
                         lambda: os.kill(pid, signal.SIGKILL))
    if late:
        raise subprocess.TimeoutExpired([tool] + argv, timeout)
    out, err = [(f.seek(0), f.read().decode(errors='replace'))[1]
                for f in files]
    for f in files:
        f.close()
    return subprocess.CompletedProcess([sys.executable, tool] + argv,
                                       os.waitstatus_to_exitcode(status), out,
                                       err)


def _warn_to_stderr(message, category, filename, lineno, file=None, line=None):
    sys.stderr.write(
        warnings.formatwarning(message, category, filename, lineno, line))


def finished(folder, suffix):
    if not osp.isdir(folder):
        return []
    return sorted(
        f for f in os.listdir(folder)
        if f.endswith(suffix) and not f.startswith(PARTIAL_PREFIX))


def kill_after(args, folder, suffix, n):
    """Start ``args`` (``python tools/<...>.py ...``, forked as in
    :func:`run_tool`) in its own session and process group; SIGKILL the
    whole group (the tool and any stage process it started, as a machine
    failure would) once ``n`` files of ``suffix`` exist in ``folder``, so it
    dies inside the next image, wherever that is."""
    tool = osp.abspath(osp.join(REPO, args[1]))
    assert args[0] == sys.executable and tool.startswith(
        osp.join(REPO, 'tools', '')), args
    with open(os.devnull, 'w') as null:
        pid = _fork(tool, list(args[2:]), REPO, [null.fileno()] * 2, True)
    status, late = _wait(pid, 300, 0.005,
                         lambda: os.killpg(pid, signal.SIGKILL),
                         lambda: len(finished(folder, suffix)) >= n)
    if late:
        raise AssertionError(f'{args[1]} wrote fewer than {n} {suffix} '
                             f'files in {folder} within 300 s')
    code = os.waitstatus_to_exitcode(status)
    assert code == -signal.SIGKILL, \
        f'{args[1]} ended (rc {code}) before it could be killed'


def mtimes(folder, names):
    return {f: os.stat(osp.join(folder, f)).st_mtime_ns for f in names}


def fast_options(root, max_epochs, batch=4):
    return [
        f'model.backbone.init_cfg.checkpoint={pretrain_checkpoint(root)}',
        f'train_dataloader.dataset.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'cam_cfg.dataset.data_root={root}',
        f'cam_cfg.eval_dataset.data_root={root}',
        'cam_cfg.dataset.indices=6',
        'cam_cfg.eval_dataset.indices=6',
        f'train_dataloader.batch_size={batch}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'val_dataloader.dataset.indices=8',
        f'train_cfg.max_epochs={max_epochs}',
        'train_cfg.val_interval=1',
        'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.max_keep_ckpts=3',
        'default_hooks.logger.interval=1',
    ]


#: SMALL_TOY as make_toy_voc.py arguments (`make demo`'s DATA_OPTS)
SMALL_TOY_ARGS = [
    a for key, value in SMALL_TOY.items()
    for a in (f'--{key.replace("_", "-")}', str(value))
]
#: the small pretraining set the smoke runs use
SMALL_IMAGENET = [
    '--num-classes', '8', '--train-per-class', '4', '--val-per-class', '2',
    '--size', '64'
]
#: every stage shortened to seconds (8 images, 1 epoch / 4 iterations)
SMOKE = [
    'pretrain.options.train_cfg.max_epochs=1',
    'pretrain.options.train_cfg.val_interval=1',
    'pretrain.options.default_hooks.checkpoint.interval=1',
    'pretrain.options.model.head.num_classes=8',
    'pretrain.options.model.data_preprocessor.num_classes=8',
    'pretrain.options.train_dataloader.batch_size=16',
    'cam.options.train_cfg.max_epochs=1',
    'cam.options.train_cfg.val_interval=1',
    'cam.options.default_hooks.checkpoint.interval=1',
    'cam.options.train_dataloader.dataset.dataset.indices=16',
    'cam.options.val_dataloader.dataset.indices=8',
    'cam.options.cam_cfg.dataset.indices=8',
    'cam.options.cam_cfg.eval_dataset.indices=8',
    'irn.options.seed_cfg.dataset.indices=8',
    'irn.options.pseudo_cfg.dataset.indices=8',
    'irn.options.pseudo_cfg.eval_dataset.indices=8',
    'irn.options.pseudo_cfg.steps=32',
    'irn.options.train_dataloader.dataset.indices=8',
    'irn.options.train_dataloader.batch_size=4',
    'irn.options.train_cfg.max_epochs=1',
    'seg.options.train_dataloader.dataset.indices=8',
    'seg.options.train_dataloader.batch_size=4',
    'seg.options.train_cfg.max_iters=4',
    'seg.options.train_cfg.val_interval=4',
    'seg.options.default_hooks.checkpoint.interval=4',
    'seg.options.val_dataloader.dataset.indices=6',
    'seg.options.test_dataloader.dataset.indices=6',
]


def irn_options(toy_root, cam_work, n=10):
    """The IRN toy config on ``n`` images of ``toy_root``, the CAMs and seeds
    of the CAM run in ``cam_work``, one short epoch."""
    seeds, cams = f'{cam_work}/seeds', f'{cam_work}/cams'
    return [
        f'model.backbone.init_cfg.checkpoint={pretrain_checkpoint(toy_root)}',
        f'seed_cfg.cam_dir={cams}',
        f'seed_cfg.out_dir={seeds}',
        f'seed_cfg.dataset.data_root={toy_root}',
        f'seed_cfg.dataset.indices={n}',
        f'pseudo_cfg.cam_dir={cams}',
        f'pseudo_cfg.dataset.data_root={toy_root}',
        f'pseudo_cfg.dataset.indices={n}',
        f'pseudo_cfg.eval_dataset.data_root={toy_root}',
        f'pseudo_cfg.eval_dataset.indices={n}',
        f'train_dataloader.dataset.ann_file={toy_root}/ImageSets/'
        'Segmentation/train_aug.txt',
        f'train_dataloader.dataset.data_prefix.img_path={toy_root}/JPEGImages',
        f'train_dataloader.dataset.data_prefix.seg_map_path={seeds}',
        f'train_dataloader.dataset.indices={n}',
        'train_dataloader.batch_size=4',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'train_cfg.max_epochs=1',
        'pseudo_cfg.steps=64',
        'default_hooks.logger.interval=1',
    ]


def tiny_boundary_net(**kwargs):
    """An IRN boundary net on an 8-channel ResNet-18 (random weights):
    ``kwargs`` go to ``IRNBoundaryNet`` (radius 4 unless given)."""
    from comnet_mm.models import IRNBoundaryNet
    torch.manual_seed(0)
    return IRNBoundaryNet(
        backbone=dict(
            type='ResNet',
            depth=18,
            stem_channels=8,
            base_channels=8,
            strides=(1, 2, 2, 1),
            out_indices=(3, )),
        in_channels=(8, 8, 16, 32, 64),
        **dict(dict(radius=4), **kwargs))


def free_port():
    """A TCP port free on this machine now (torchrun's master port)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def random_checkpoint(config: str, path) -> str:
    """A checkpoint of ``config``'s model at its random init (no pretrained
    backbone): what the per-image tools load, without the training."""
    cfg = Config.fromfile(f'{REPO}/{config}')
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    torch.manual_seed(0)
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict(), meta={}), str(path))
    return str(path)


def small_imagenet(folder) -> str:
    """Write the small pretraining set the shortened pipelines use (the
    sizes of :data:`SMALL_IMAGENET`; SMOKE's pretrain head has its 8
    classes) into ``folder``; return its path."""
    generate_pretrain(
        str(folder),
        ToyImageNetConfig(
            num_classes=8, train_per_class=4, val_per_class=2, size=64))
    return str(folder)
