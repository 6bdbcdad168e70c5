"""The walk's background threshold: a number, or the CAM stage's best."""
import json

import pytest
import torch

from comnet_mm.irn import walk_bg_threshold
from conftest import tiny_boundary_net


def test_a_number_is_kept_and_irn_is_the_default(tmp_path):
    cam_dir = str(tmp_path / 'cams')
    assert walk_bg_threshold(dict(cam_dir=cam_dir, bg_thr=0.05)) == 0.05
    assert walk_bg_threshold(dict(cam_dir=cam_dir, bg_thr=1)) == 1.0
    assert walk_bg_threshold(dict(cam_dir=cam_dir)) == 0.25


def test_cam_best_reads_the_cam_stage_metrics_beside_its_cams(tmp_path):
    (tmp_path / 'cams_metrics.json').write_text(
        json.dumps({
            'cam/mIoU': 33.1,
            'cam/best_mIoU': 35.6,
            'cam/best_thr': 0.1
        }))
    for cam_dir in (tmp_path / 'cams', f'{tmp_path}/cams/'):
        cfg = dict(cam_dir=str(cam_dir), bg_thr='cam_best')
        assert walk_bg_threshold(cfg) == 0.1


def test_cam_best_errors_name_the_file_or_value(tmp_path):
    cfg = dict(cam_dir=str(tmp_path / 'cams'), bg_thr='cam_best')
    with pytest.raises(FileNotFoundError, match='cams_metrics.json'):
        walk_bg_threshold(cfg)
    (tmp_path / 'cams_metrics.json').write_text(json.dumps({'cam/mIoU': 3}))
    with pytest.raises(KeyError, match='cam/best_thr'):
        walk_bg_threshold(cfg)
    with pytest.raises(ValueError, match='cam_bets'):
        walk_bg_threshold(dict(cfg, bg_thr='cam_bets'))


def boundary_net_with_preprocessor():
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    return tiny_boundary_net(
        data_preprocessor=dict(
            type='SegDataPreProcessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True),
        radius=3).eval()


def walk_best_stage(toy_root, tmp_path, n_stage, n_eval, sweep):
    """A ``'walk_best'`` pseudo_cfg on the first ``n_stage`` toy train
    images (the sweep on the first ``n_eval``), over identity CAMs, and a
    tiny boundary net: ``(cfg, model)``."""
    from test_cams import Identity, toy_split

    from comnet_mm.cams import generate_cams
    stage = toy_split(toy_root, n=n_stage)
    cams = str(tmp_path / 'cams')
    generate_cams(Identity(), stage, cams, scales=(1.0, ))
    cfg = dict(
        dataset=stage,
        eval_dataset=toy_split(toy_root, n=n_eval),
        cam_dir=cams,
        steps=8,
        radius=3,
        bg_thr='walk_best',
        bg_sweep=sweep)
    return cfg, boundary_net_with_preprocessor()


def test_walk_best_is_the_sweep_best_and_the_masks_score_it(
        toy_root, tmp_path):
    """'walk_best' picks the best of the sweep; the sweep's mIoU at each
    threshold equals the stage run with that number (pseudo masks written
    and scored by mmseg's IoUMetric), and so does the chosen run's."""
    from comnet_mm.irn import run_pseudo_label_stage, walk_threshold_sweep
    sweep = (0.05, 0.2, 0.4, 0.6)
    cfg, model = walk_best_stage(toy_root, tmp_path, 4, 4, sweep)
    ds, cams = cfg['dataset'], cfg['cam_dir']
    scores = walk_threshold_sweep(model, ds, cams, 10.0, 8, 3, sweep)
    ref = {
        t: run_pseudo_label_stage(model, dict(cfg, bg_thr=t),
                                  str(tmp_path / f'thr{t}'))['mIoU']
        for t in sweep
    }
    assert len(set(ref.values())) > 1  # the background matters here
    for t in sweep:  # IoUMetric rounds to 2 decimals
        assert scores[t] == pytest.approx(ref[t], abs=0.006)
    best = run_pseudo_label_stage(model, cfg, str(tmp_path / 'best'))
    assert best['bg_thr'] == max(scores, key=scores.get)
    assert best['mIoU'] == ref[best['bg_thr']] == max(ref.values())
    assert walk_bg_threshold(cfg, model) == best['bg_thr']


def test_walk_best_needs_the_model_and_a_split_with_masks(tmp_path):
    cfg = dict(cam_dir=str(tmp_path / 'cams'), bg_thr='walk_best')
    with pytest.raises(ValueError, match='pseudo_cfg.eval_dataset'):
        walk_bg_threshold(cfg)
    with pytest.raises(ValueError, match="'walk_best'"):
        walk_bg_threshold(dict(cfg, bg_thr='walk_bets'))


def test_walk_best_walks_each_image_once_and_a_resume_not_at_all(
        toy_root, tmp_path, monkeypatch):
    """The sweep's walks make the masks of its images (one walk per image
    of the stage's split, the masks equal to a run given the number, which
    walks every image itself); a rerun reads the recorded sweep and walks
    nothing; other boundary weights do not reuse the record."""
    import numpy as np

    from comnet_mm.datasets.seg_tag_dataset import read_label_map
    from comnet_mm.irn import pseudo_labels, run_pseudo_label_stage
    cfg, model = walk_best_stage(toy_root, tmp_path, 5, 3, (0.05, 0.2, 0.4))
    train_aug = cfg['dataset']
    walks = []
    real = pseudo_labels.walk_image

    def counted(model, info, *args):
        walks.append(info['img_id'])
        return real(model, info, *args)

    monkeypatch.setattr(pseudo_labels, 'walk_image', counted)
    best = run_pseudo_label_stage(model, cfg, str(tmp_path / 'best'))
    assert sorted(walks) == sorted(
        train_aug.get_data_info(i)['img_id'] for i in range(5))
    ref = run_pseudo_label_stage(model, dict(cfg, bg_thr=best['bg_thr']),
                                 str(tmp_path / 'number'))
    assert ref == best
    for i in range(5):
        name = train_aug.get_data_info(i)['img_id'] + '.png'
        np.testing.assert_array_equal(
            read_label_map(str(tmp_path / 'best' / 'pseudo_masks' / name)),
            read_label_map(str(tmp_path / 'number' / 'pseudo_masks' / name)))
    record = tmp_path / 'best' / 'pseudo_masks_walk_sweep.json'
    assert set(json.loads(
        record.read_text())['mIoU']) == {'0.05', '0.2', '0.4'}
    digest = json.loads(record.read_text())['made_with']['model']
    walks.clear()
    assert run_pseudo_label_stage(model, cfg, str(tmp_path / 'best')) == best
    assert walks == []
    with torch.no_grad():
        model.fuse.weight.mul_(-1)  # another boundary net
    run_pseudo_label_stage(model, cfg, str(tmp_path / 'best'))
    assert len(walks) == 5
    assert json.loads(record.read_text())['made_with']['model'] != digest
    # a reader (the diagnostics tool): the matching record, no walk; no
    # record, a walk of the sweep's images and nothing written
    walks.clear()
    chosen = json.loads((tmp_path / 'best' /
                         'pseudo_masks_metrics.json').read_text())['bg_thr']
    assert walk_bg_threshold(cfg, model, str(record), save=False) == chosen
    assert walks == []
    other = tmp_path / 'other_walk_sweep.json'
    assert walk_bg_threshold(cfg, model, str(other), save=False) == chosen
    assert len(walks) == 3 and not other.exists()
