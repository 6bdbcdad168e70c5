"""CAM generation (multi-scale + flip), files, resume, DDP split, metric."""
import glob
import json
import os
import os.path as osp
import re
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.evaluation.metrics import IoUMetric
from mmseg.structures import SegDataSample

from comnet_mm.cams import generate_cams, generation, multiscale_cams
from comnet_mm.evaluation import CAMIoUMetric, cams_to_labels
from comnet_mm.structures import load_cams
from comnet_mm.utils.per_image import keep_if_made_with, state_digest
from conftest import fast_options, free_port, run_tool


class Identity(nn.Module):
    """CAM model whose 6 class maps are the normalised input channels
    (R, G, B, R, G, B)."""

    def __init__(self, mean=100.0):
        super().__init__()
        self.mean = mean
        self.head = self
        self.calls = 0

    def data_preprocessor(self, data, training):
        return dict(inputs=torch.stack(data['inputs']).float() - self.mean)

    def extract_feat(self, x):
        self.calls += 1
        return (x, )

    def class_maps(self, feats):
        return torch.cat([feats[-1], feats[-1]], 1)


def block_image(seed=0):
    """16 x 16 x 3 image made of 4 x 4 constant blocks."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(60, 200, (4, 4, 3)).astype(np.uint8)
    return np.kron(blocks, np.ones((4, 4, 1), np.uint8)), blocks


def test_normalisation_and_view_merging_hand_case():
    img, blocks = block_image()
    out = multiscale_cams(Identity(), img, [0, 2], scales=(1.0, ), flip=True)
    assert out['keys'].tolist() == [0, 2]
    for k, c in enumerate([0, 2]):
        # the map and its flipped-back flip add up: 2 * relu(x - 100)
        raw = 2 * np.maximum(blocks[..., c].astype(np.float32) - 100, 0)
        expect = raw / (raw.max() + 1e-5)
        assert np.allclose(out['cam'][k], expect, atol=1e-6)  # 4 x 4
        assert np.allclose(
            out['high_res'][k], np.kron(expect, np.ones((4, 4))), atol=1e-6)
    assert out['cam'].shape == (2, 4, 4) and out['high_res'].shape == (2, 16,
                                                                       16)


def test_scales_flip_and_odd_sizes():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (37, 50, 3)).astype(np.uint8)
    model = Identity(mean=128)
    out = multiscale_cams(model, img, [1], scales=(1.0, 0.5, 1.5, 2.0))
    assert model.calls == 4
    assert out['cam'].shape == (1, 10, 13)  # ceil(37/4), ceil(50/4)
    assert out['high_res'].shape == (1, 37, 50)
    assert 0.99 < out['cam'].max() <= 1 and out['cam'].min() >= 0
    none = multiscale_cams(model, img, [], scales=(1.0, ))
    assert none['cam'].shape == (0, 10, 13)


def toy_split(toy_root, n=6):
    from comnet_mm.datasets import VOCTagDataset
    from comnet_mm.toy import ToyVOCConfig
    return VOCTagDataset(
        data_root=toy_root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(
            img_path='JPEGImages', seg_map_path='SegmentationClass'),
        metainfo=dict(classes=ToyVOCConfig().names),
        indices=n)


def test_restart_after_killed_run(toy_root, tmp_path, monkeypatch):
    ds = toy_split(toy_root)
    out = str(tmp_path / 'cams')
    real = generation.multiscale_cams
    calls = []

    def dies_on_fourth(*args, **kwargs):
        if len(calls) == 3:
            raise KeyboardInterrupt  # the run is killed mid-way
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(generation, 'multiscale_cams', dies_on_fourth)
    with pytest.raises(KeyboardInterrupt):
        generate_cams(Identity(), ds, out, scales=(1.0, ))
    done = sorted(os.listdir(out))
    assert len(done) == 3 and all(f.endswith('.npz') for f in done)
    stamps = {f: os.path.getmtime(osp.join(out, f)) for f in done}
    # a half-written file from a crash elsewhere is recomputed, not trusted
    broken = osp.join(out, ds.get_data_info(4)['img_id'] + '.npz')
    with open(broken, 'wb') as f:
        f.write(b'PK\x03\x04 truncated')
    monkeypatch.setattr(generation, 'multiscale_cams', real)
    assert generate_cams(Identity(), ds, out, scales=(1.0, )) == 3
    assert len(os.listdir(out)) == 6
    for f, t in stamps.items():
        assert os.path.getmtime(osp.join(out, f)) == t  # not recomputed
    for i in range(6):
        info = ds.get_data_info(i)
        cams = load_cams(osp.join(out, info['img_id'] + '.npz'))
        assert cams['keys'].tolist() == info['gt_label']


def test_metric_equals_mmseg_iou_metric():
    rng = np.random.default_rng(0)
    ours = CAMIoUMetric(num_classes=5, bg_thr=0.15)
    theirs = IoUMetric(ignore_index=255)
    theirs.dataset_meta = dict(classes=[str(i) for i in range(6)])
    samples = []
    for _ in range(4):
        keys = np.sort(rng.choice(5, size=2, replace=False))
        cams = rng.random((2, 12, 9)).astype(np.float32)**3
        gt = rng.integers(0, 6, (12, 9))
        gt[0] = 255
        samples.append(dict(cams=cams, cam_labels=keys, gt_sem_seg=gt))
        pred = cams_to_labels(
            torch.from_numpy(cams), torch.from_numpy(keys), 0.15)
        s = SegDataSample()
        s.pred_sem_seg = PixelData(data=pred[None])
        s.gt_sem_seg = PixelData(data=torch.from_numpy(gt)[None])
        theirs.process(None, [s.to_dict()])
    ours.process(None, samples)
    mine = ours.compute_metrics(ours.results)
    ref = theirs.compute_metrics(theirs.results)
    assert mine['mIoU'] == pytest.approx(ref['mIoU'], abs=0.01)
    assert mine['best_mIoU'] >= mine['mIoU']


def test_cams_to_labels_hand_case():
    cams = torch.tensor([[[0.1, 0.9], [0.3, 0.0]], [[0.2, 0.5], [0.1, 0.0]]])
    labels = cams_to_labels(cams, torch.tensor([4, 7]), 0.15)
    assert labels.tolist() == [[8, 5], [5, 0]]


def test_scoring_errors_name_the_file(toy_root, tmp_path):
    ds = toy_split(toy_root, n=2)
    out = str(tmp_path / 'cams')
    generate_cams(Identity(), ds, out, scales=(1.0, ))
    missing = ds.get_data_info(1)['img_id']
    os.remove(osp.join(out, missing + '.npz'))
    metric = dict(type='CAMIoUMetric', num_classes=6)
    init_default_scope('mmpretrain')
    with pytest.raises(FileNotFoundError, match=missing + '.npz'):
        generation.score_cams(ds, out, metric)
    # a split without masks cannot be scored
    from comnet_mm.datasets import VOCTagDataset
    from comnet_mm.toy import ToyVOCConfig
    no_masks = VOCTagDataset(
        data_root=toy_root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(img_path='JPEGImages', seg_map_path=None),
        labels_file='cls_labels.txt',
        metainfo=dict(classes=ToyVOCConfig().names),
        indices=2)
    with pytest.raises(ValueError, match='no mask'):
        generation.score_cams(no_masks, out, metric)


@pytest.mark.slow
def test_make_cams_tool_on_two_ranks(toy_root, tmp_path):
    work = tmp_path / 'train'
    run_tool([
        sys.executable, 'tools/train.py', 'configs/cam/cam_toy.py',
        '--work-dir',
        str(work), '--cfg-options', *fast_options(toy_root, 1)
    ])
    assert len(glob.glob(str(work / 'cams' / '*.npz'))) == 6  # the hook
    assert 'cam/mIoU' in json.load(open(work / 'cams_metrics.json'))
    out = run_tool([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={free_port()}', 'tools/make_cams.py',
        'configs/cam/cam_toy.py',
        str(work / 'epoch_1.pth'), '--work-dir',
        str(tmp_path / 'tool'), '--launcher', 'pytorch', '--cfg-options',
        f'cam_cfg.dataset.data_root={toy_root}', 'cam_cfg.dataset.indices=11',
        f'cam_cfg.eval_dataset.data_root={toy_root}',
        'cam_cfg.eval_dataset.indices=11'
    ])
    log = out.stdout + out.stderr
    wrote = dict(re.findall(r'rank (\d): wrote (\d+) CAM files', log))
    assert wrote == {'0': '6', '1': '5'}  # images 0,2,..,10 and 1,3,..,9
    files = sorted(os.listdir(tmp_path / 'tool' / 'cams'))
    ds = toy_split(toy_root, n=11)
    assert files == sorted(
        ds.get_data_info(i)['img_id'] + '.npz' for i in range(11))
    metrics = json.load(open(tmp_path / 'tool' / 'cams_metrics.json'))
    assert 0 <= metrics['cam/mIoU'] <= metrics['cam/best_mIoU'] <= 100
    # the same CAMs as the hook wrote with the same checkpoint (one process)
    for f in os.listdir(work / 'cams'):
        a = load_cams(str(work / 'cams' / f))
        b = load_cams(str(tmp_path / 'tool' / 'cams' / f))
        assert np.allclose(a['high_res'], b['high_res'], atol=1e-5)


def test_make_cams_refuses_another_models_checkpoint(tmp_path):
    ckpt = tmp_path / 'other.pth'
    torch.save({'state_dict': {
        'decode_head.conv_seg.weight': torch.zeros(1)
    }}, ckpt)
    with pytest.raises(
            AssertionError,
            match='is not a checkpoint of this '
            r'model \(CAMClassifier\)'):
        run_tool([
            sys.executable, 'tools/make_cams.py', 'configs/cam/cam_toy.py',
            str(ckpt), '--work-dir',
            str(tmp_path / 'w')
        ])


def test_files_made_with_other_settings_are_moved_aside(toy_root, tmp_path):
    """CAMs, and the seeds made from them, are kept only when they were
    made with the same settings and inputs: otherwise the folder is moved to
    ``<folder>.stale-<time>`` and made again (not silently reused)."""
    from comnet_mm.irn.seeds import generate_seeds
    ds = toy_split(toy_root, n=3)
    cams, seeds = str(tmp_path / 'cams'), str(tmp_path / 'seeds')

    def stale(folder):
        return sorted(
            p for p in os.listdir(tmp_path)
            if p.startswith(osp.basename(folder) + '.stale-'))

    assert generate_cams(Identity(), ds, cams, scales=(1.0, )) == 3
    assert generate_seeds(ds, cams, seeds, 0.30) == 3
    assert generate_seeds(ds, cams, seeds, 0.30) == 0  # same: kept
    before = sorted(os.listdir(seeds))
    assert generate_seeds(ds, cams, seeds, 0.50) == 3  # other threshold
    (aside, ) = stale(seeds)
    assert sorted(os.listdir(tmp_path / aside)) == before  # nothing lost
    assert generate_seeds(ds, cams, seeds, 0.50) == 0
    # other CAMs (scales) under the same folder: the CAMs are made again,
    # and the seeds read the CAMs' record, so they are too
    assert generate_cams(Identity(), ds, cams, scales=(1.0, 0.5)) == 3
    assert len(stale(cams)) == 1
    assert generate_seeds(ds, cams, seeds, 0.50) == 3
    assert len(stale(seeds)) == 2
    # files without a record of their settings cannot show them: moved
    bare = tmp_path / 'bare'
    bare.mkdir()
    (bare / 'x.png').write_bytes(b'')
    assert keep_if_made_with(str(bare), dict(a=1)) is not None
    assert os.listdir(bare) == []
    assert keep_if_made_with(str(bare), dict(a=1)) is None


def test_state_digest_follows_the_weights():
    a, b = nn.Linear(3, 2), nn.Linear(3, 2)
    b.load_state_dict(a.state_dict())
    assert state_digest(a) == state_digest(b)
    with torch.no_grad():
        b.weight[0, 0] += 1e-3
    assert state_digest(a) != state_digest(b)
    # a module that holds itself (as the test model above does) is fine
    assert state_digest(Identity()) == state_digest(Identity())


def test_seed_hook_cam_best_thresholds_are_the_cam_stage_best(
        toy_root, tmp_path):
    """seed_cfg's 'cam_best' reads the CAM stage's best threshold beside the
    CAMs and makes the seeds generate_seeds makes with that number."""
    from types import SimpleNamespace

    from mmengine.config import Config

    from comnet_mm.engine.hooks import SeedGenerationHook
    from comnet_mm.irn.seeds import generate_seeds
    ds = toy_split(toy_root, n=3)
    cams = str(tmp_path / 'cams')
    generate_cams(Identity(), ds, cams, scales=(1.0, ))
    with open(cams + '_metrics.json', 'w') as f:
        json.dump({'cam/best_thr': 0.4}, f)
    runner = SimpleNamespace(cfg=Config({}))
    SeedGenerationHook(
        dict(
            dataset=ds,
            cam_dir=cams,
            out_dir=str(tmp_path / 'hook'),
            fg_thr='cam_best',
            bg_thr='cam_best')).before_train(runner)
    generate_seeds(ds, cams, str(tmp_path / 'ref'), 0.4, 0.4)
    generate_seeds(ds, cams, str(tmp_path / 'irn'), 0.30, 0.05)
    differ = 0
    for i in range(3):
        name = ds.get_data_info(i)['img_id'] + '.png'
        hook = load_png(tmp_path / 'hook' / name)
        assert np.array_equal(hook, load_png(tmp_path / 'ref' / name))
        differ += not np.array_equal(hook, load_png(tmp_path / 'irn' / name))
    assert differ  # the thresholds matter on these images
    with pytest.raises(ValueError, match="seed_cfg.bg_thr must be"):
        SeedGenerationHook(
            dict(
                dataset=ds,
                cam_dir=cams,
                out_dir=str(tmp_path / 'x'),
                bg_thr='best')).before_train(runner)


def load_png(path):
    from PIL import Image
    return np.array(Image.open(path))
