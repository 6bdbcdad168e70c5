"""CAM -> seeds -> IRN boundary net -> random walk pseudo masks, on the toy
set, through tools/train.py and tools/make_pseudo_labels.py."""
import json
import os
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from conftest import fast_options, irn_options, run_tool

N = 10  # images of train_aug (and of train, its prefix) used here


@pytest.mark.slow
def test_cam_to_pseudo_masks(toy_root, tmp_path):
    cam_work = tmp_path / 'cam'
    opts = fast_options(toy_root, 1)
    opts = [o for o in opts if 'cam_cfg' not in o or 'data_root' in o]
    run_tool([
        sys.executable, 'tools/train.py', 'configs/cam/cam_toy.py',
        '--work-dir',
        str(cam_work), '--cfg-options', *opts, f'cam_cfg.dataset.indices={N}',
        f'cam_cfg.eval_dataset.indices={N}'
    ])
    assert len(os.listdir(cam_work / 'cams')) == N
    irn_work = tmp_path / 'irn'
    out = run_tool([
        sys.executable, 'tools/train.py', 'configs/irn/irn_toy.py',
        '--work-dir',
        str(irn_work), '--cfg-options', *irn_options(toy_root, cam_work)
    ])
    log = out.stdout + out.stderr
    assert 'loss_neg' in log and 'pseudo mask evaluation' in log
    seeds = sorted(os.listdir(cam_work / 'seeds'))
    masks = sorted(os.listdir(irn_work / 'pseudo_masks'))
    assert len(seeds) == len(masks) == N and seeds == masks
    for name in masks:
        seed = np.array(Image.open(cam_work / 'seeds' / name))
        mask = np.array(Image.open(irn_work / 'pseudo_masks' / name))
        assert seed.shape == mask.shape
        assert set(np.unique(seed)) <= set(range(7)) | {255}
        assert set(np.unique(mask)) <= set(range(7))
    metrics = json.load(open(irn_work / 'pseudo_masks_metrics.json'))
    assert 0 < metrics['mIoU'] <= 100
    # the diagnostics' walk at the config's steps and background is the
    # hook's (another path: its own loop, sweep and mean IoU); CAM at 0.15
    # is the CAM stage's
    diag = tmp_path / 'diag.json'
    options = irn_options(toy_root, cam_work)
    assert 'pseudo_cfg.steps=64' in options
    run_tool([
        sys.executable, 'tools/analysis_tools/irn_diagnostics.py',
        'configs/irn/irn_toy.py',
        str(irn_work / 'epoch_1.pth'), '--cfg-options', *options,
        'diag_steps=[32,64]', f'diag_out={diag}'
    ])
    found = json.load(open(diag))
    cam = json.load(open(cam_work / 'cams_metrics.json'))
    # the walk's background is the CAM stage's best threshold (the rule of
    # the toy config), in the hook's metrics and in the diagnostics
    assert Config.fromfile(
        'configs/irn/irn_toy.py').pseudo_cfg.bg_thr == 'cam_best'
    bg = cam['cam/best_thr']
    assert metrics['bg_thr'] == found['walk bg threshold'] == bg
    walk = found['walk mIoU by bg threshold (64 steps)']
    assert walk[str(bg)] == pytest.approx(metrics['mIoU'], abs=6e-3)
    assert found['CAM mIoU by bg threshold']['0.15'] == pytest.approx(
        cam['cam/mIoU'], abs=6e-3)
    # its 32-step walk is the tool's with 32 steps
    run_tool([
        sys.executable, 'tools/make_pseudo_labels.py',
        'configs/irn/irn_toy.py',
        str(irn_work / 'epoch_1.pth'), '--work-dir',
        str(tmp_path / 'steps32'), '--cfg-options', *options,
        'pseudo_cfg.steps=32'
    ])
    steps32 = json.load(
        open(tmp_path / 'steps32' / 'pseudo_masks_metrics.json'))
    assert found['walk mIoU by bg threshold (32 steps)'][str(
        bg)] == pytest.approx(
            steps32['mIoU'], abs=6e-3)
    # the tool, same code path, same checkpoint, a fresh folder
    ckpt = irn_work / 'epoch_1.pth'
    out = run_tool([
        sys.executable, 'tools/make_pseudo_labels.py',
        'configs/irn/irn_toy.py',
        str(ckpt), '--work-dir',
        str(tmp_path / 'tool'), '--cfg-options',
        *irn_options(toy_root, cam_work)
    ])
    assert f'wrote {N} pseudo masks' in out.stdout
    for name in masks:
        a = np.array(Image.open(irn_work / 'pseudo_masks' / name))
        b = np.array(Image.open(tmp_path / 'tool' / 'pseudo_masks' / name))
        assert np.array_equal(a, b)
    # and a second run keeps every complete file
    out = run_tool([
        sys.executable, 'tools/make_pseudo_labels.py',
        'configs/irn/irn_toy.py',
        str(ckpt), '--work-dir',
        str(tmp_path / 'tool'), '--cfg-options',
        *irn_options(toy_root, cam_work)
    ])
    assert f'wrote 0 pseudo masks of {N}' in out.stdout
    # other boundary weights in the same folder: the masks are made again,
    # the old ones moved aside
    other = torch.load(ckpt, map_location='cpu', weights_only=False)
    key = next(k for k, v in other['state_dict'].items()
               if k.startswith('fuse.'))
    other['state_dict'][key] = other['state_dict'][key] + 0.01
    torch.save(other, tmp_path / 'other.pth')
    out = run_tool([
        sys.executable, 'tools/make_pseudo_labels.py',
        'configs/irn/irn_toy.py',
        str(tmp_path / 'other.pth'), '--work-dir',
        str(tmp_path / 'tool'), '--cfg-options',
        *irn_options(toy_root, cam_work)
    ])
    assert f'wrote {N} pseudo masks of {N}' in out.stdout
    assert len(list((tmp_path / 'tool').glob('pseudo_masks.stale-*'))) == 1
