"""The walk's background threshold: a number, or the CAM stage's best."""
import json

import pytest

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


def test_walk_best_is_the_sweep_best_and_the_masks_score_it(
        toy_root, tmp_path):
    """'walk_best' picks the best of the sweep; the sweep's mIoU at each
    threshold equals the stage run with that number (pseudo masks written
    and scored by mmseg's IoUMetric), and so does the chosen run's."""
    from test_cams import Identity, toy_split

    from comnet_mm.cams import generate_cams
    from comnet_mm.irn import run_pseudo_label_stage, walk_threshold_sweep
    ds = toy_split(toy_root, n=4)
    cams = str(tmp_path / 'cams')
    generate_cams(Identity(), ds, cams, scales=(1.0, ))
    model = boundary_net_with_preprocessor()
    sweep = (0.05, 0.2, 0.4, 0.6)
    cfg = dict(
        dataset=ds,
        eval_dataset=ds,
        cam_dir=cams,
        steps=8,
        radius=3,
        bg_thr='walk_best',
        bg_sweep=sweep)
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
