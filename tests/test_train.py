"""Training through the tools: few iterations on the small toy set, on CPU."""
import pickle
import socket
import sys

import pytest
import torch

import comnet_mm  # noqa: F401  (allows mmengine checkpoints)
from conftest import fast_options, random_checkpoint, run_tool


def train(work_dir, root, max_epochs, *extra):
    return run_tool([
        sys.executable, 'tools/train.py', 'configs/cam/cam_toy.py',
        '--work-dir',
        str(work_dir), *extra, '--cfg-options',
        *fast_options(root, max_epochs)
    ])


def load(path):
    return torch.load(path, map_location='cpu')  # weights-only by default


@pytest.mark.slow
def test_train_then_resume(toy_root, tmp_path):
    """A run stopped after epoch 1 and resumed ends where the full run ends."""
    full, resumed = tmp_path / 'full', tmp_path / 'resumed'
    out = train(full, toy_root, 2)
    assert 'multi-label/mAP' in out.stdout + out.stderr
    first = load(full / 'epoch_1.pth')
    iters = first['meta']['iter']
    assert first['meta']['epoch'] == 1 and iters == 48 // 4
    out = train(resumed, toy_root, 2, '--resume', str(full / 'epoch_1.pth'))
    assert f'resumed epoch: 1, iter: {iters}' in out.stdout + out.stderr
    second = load(resumed / 'epoch_2.pth')
    reference = load(full / 'epoch_2.pth')
    assert second['meta']['epoch'] == 2 and second['meta']['iter'] == 2 * iters
    # the schedule went on from the checkpoint (not restarted at lr 0.05)
    sched = second['param_schedulers'][0]
    assert sched['_global_step'] == 2 * iters
    assert sched['_last_value'] == reference['param_schedulers'][0][
        '_last_value']
    # and the weights trained on from epoch 1's
    key = 'head.classifier.weight'
    assert not torch.equal(first['state_dict'][key], second['state_dict'][key])


@pytest.mark.slow
def test_test_tool(toy_root, tmp_path):
    """tools/test.py on a CAM checkpoint (the config's model at its random
    init: the tool reads any checkpoint of it; training is tested above)."""
    ckpt = random_checkpoint('configs/cam/cam_toy.py', tmp_path / 'cam.pth')
    out = run_tool([
        sys.executable, 'tools/test.py', 'configs/cam/cam_toy.py', ckpt,
        '--work-dir',
        str(tmp_path / 'test'), '--cfg-options',
        f'test_dataloader.dataset.data_root={toy_root}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'
    ])
    assert 'multi-label/mAP' in out.stdout + out.stderr
    with pytest.raises(AssertionError, match='checkpoint not found'):
        run_tool([
            sys.executable, 'tools/test.py', 'configs/cam/cam_toy.py',
            str(tmp_path / 'nope.pth')
        ])


def test_weights_only_still_refuses_other_globals(tmp_path):
    path = tmp_path / 'evil.pth'
    with open(path, 'wb') as f:
        torch.save({'x': socket.AF_INET}, f)
    with pytest.raises(pickle.UnpicklingError, match='AddressFamily'):
        torch.load(path)
