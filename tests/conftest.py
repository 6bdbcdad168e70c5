import os
import os.path as osp
import socket
import subprocess
import sys

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


def pytest_collection_modifyitems(config, items):
    """The end-to-end tests (marked slow) first, in their file order: under
    pytest-xdist (`make test`) both workers start on long tests and the
    short ones fill in at the end, instead of one long test running alone
    last."""
    items.sort(key=lambda item: item.get_closest_marker('slow') is None)


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
    """Run a repo tool with this interpreter; fail with its output."""
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
