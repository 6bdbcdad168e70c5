"""The toy COMNet config trains through tools/train.py: finite, decreasing
loss."""
import math
import re
import sys

import pytest

from conftest import REPO, fast_options, run_tool


def losses_of(log):
    return [
        float(v) for v in re.findall(
            r'Epoch\(train\) +\[\d+\]\[\s*\d+/\d+\].*? loss: ([0-9.naif]+)',
            log)
    ]


@pytest.fixture(scope='module')
def comnet_run(toy_root, tmp_path_factory):
    """The toy COMNet config trained 3 short epochs by tools/train.py:
    (work dir, log); both tests read the same run, made once: their
    xdist_group keeps them on one worker (tests/test_scheduling.py)."""
    work = tmp_path_factory.mktemp('comnet_train')
    out = run_tool([
        sys.executable, 'tools/train.py', 'configs/comnet/comnet_toy.py',
        '--work-dir',
        str(work), '--cfg-options', *fast_options(toy_root, 3),
        'train_cfg.val_interval=3'
    ])
    return work, out.stdout + out.stderr


@pytest.mark.slow
@pytest.mark.xdist_group('comnet_run')  # one worker: one run
def test_toy_comnet_trains(comnet_run):
    _, log = comnet_run
    losses = losses_of(log)
    assert len(losses) == 3 * 12, log[-3000:]
    assert all(math.isfinite(v) for v in losses)
    first, last = sum(losses[:12]) / 12, sum(losses[-12:]) / 12
    assert last < first, losses
    assert 'multi-label/mAP' in log


@pytest.mark.slow
@pytest.mark.xdist_group('comnet_run')  # one worker: one run
def test_solvers_agree_on_trained_features(toy_root, comnet_run):
    """Lanczos and dense eigh give the same mask signs on the features of a
    (briefly) trained backbone, for real co-occurrent pairs of the toy set
    (4 groups: the dense eigh of a 2048 x 2048 matrix takes 10-30 s here)."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    from mmpretrain.registry import DATASETS, MODELS

    from comnet_mm.models.necks.inter_matching import co_occurrent_mask
    work, _ = comnet_run
    cfg = Config.fromfile(f'{REPO}/configs/comnet/comnet_toy.py')
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model).eval()
    load_checkpoint(model, str(work / 'epoch_3.pth'), map_location='cpu')
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.dataset.data_root = toy_root
    ds_cfg.dataset.pipeline = cfg.test_pipeline
    ds_cfg.seed = 0
    groups = DATASETS.build(ds_cfg)
    agree = []
    with torch.no_grad():
        for i in range(4):
            items = groups[i]
            data = model.data_preprocessor(
                dict(
                    inputs=[it['inputs'] for it in items],
                    data_samples=[it['data_samples'] for it in items]))
            feats = model.extract_feat(data['inputs'], stage='backbone')[-1]
            dense = co_occurrent_mask(feats, solver='dense')
            fast = co_occurrent_mask(feats, solver='lanczos')
            agree.append(((dense > 0) == (fast > 0)).float().mean().item())
    assert min(agree) >= 0.99, agree
