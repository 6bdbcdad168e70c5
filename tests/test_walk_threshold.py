"""The walk's background threshold: a number, or the CAM stage's best."""
import json

import pytest

from comnet_mm.irn import walk_bg_threshold


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
