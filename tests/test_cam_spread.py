"""tools/analysis_tools/cam_spread.py: quantiles of the top CAM score on
object and background pixels, against a hand-made split, and the split the
CAM config scores against the VOC layout read by hand."""
import os
import os.path as osp
import sys

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from conftest import REPO, run_tool, write_mask

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
from cam_spread import cam_spread, split_infos, top_scores  # noqa: E402


def _write_split(root, cams_dir, items):
    """Masks and CAM files of hand-made items; their infos."""
    os.makedirs(cams_dir)
    out = []
    for img_id, cams, label in items:
        mask = osp.join(root, img_id + '.png')
        write_mask(mask, label)
        np.savez(
            osp.join(cams_dir, img_id + '.npz'),
            keys=np.arange(len(cams)),
            cam=cams[:, ::2, ::2],
            high_res=cams)
        out.append(dict(img_id=img_id, seg_map_path=mask))
    return out


def test_top_scores_hand_case():
    cams = np.array([[[0.1, 0.9], [0.3, 0.0]], [[0.5, 0.2], [0.2, 0.7]]],
                    np.float32)
    label = np.array([[1, 0], [255, 2]], np.uint8)
    fg, bg = top_scores(cams, label)
    assert fg.tolist() == pytest.approx([0.5, 0.7])  # 255 left out
    assert bg.tolist() == pytest.approx([0.9])
    # an image without classes: every top score is 0
    fg, bg = top_scores(np.zeros((0, 2, 2), np.float32), label)
    assert fg.tolist() == [0, 0] and bg.tolist() == [0]
    with pytest.raises(ValueError, match='differ'):
        top_scores(cams, label[:1])


def test_cam_spread_equals_numpy_on_all_pixels(tmp_path):
    rng = np.random.default_rng(0)
    root, cams_dir = str(tmp_path / 'voc'), str(tmp_path / 'cams')
    items, fg, bg = [], [], []
    for n, (h, w, k) in enumerate(((6, 8, 2), (4, 4, 1), (5, 7, 0))):
        cams = rng.random((k, h, w)).astype(np.float32)
        label = rng.choice([0, 1, 2, 255], size=(h, w)).astype(np.uint8)
        items.append((f'im{n}', cams, label))
        top = cams.max(0) if k else np.zeros((h, w), np.float32)
        fg.append(top[(label > 0) & (label < 255)])
        bg.append(top[label == 0])
    split = _write_split(root, cams_dir, items)
    out = cam_spread(cams_dir, split, quantiles=(0.25, 0.5, 0.9))
    assert out['objects'] == pytest.approx(
        np.quantile(np.concatenate(fg), (0.25, 0.5, 0.9)), abs=1e-4)
    assert out['background'] == pytest.approx(
        np.quantile(np.concatenate(bg), (0.25, 0.5, 0.9)), abs=1e-4)
    os.remove(osp.join(cams_dir, 'im1.npz'))
    with pytest.raises(FileNotFoundError, match='im1.npz'):
        cam_spread(cams_dir, split)


def test_split_items_are_the_cam_configs_split(toy_root):
    """The toy CAM config's scored split (`train`) is the VOC layout's
    list, with its masks, read by hand."""
    cfg = Config.fromfile(f'{REPO}/configs/cam/cam_toy.py')
    cfg.merge_from_dict({'cam_cfg.eval_dataset.data_root': toy_root})
    with open(osp.join(toy_root, 'ImageSets/Segmentation/train.txt')) as f:
        ids = f.read().split()
    assert split_infos(cfg) == [
        dict(
            img_id=i,
            img_path=osp.join(toy_root, 'JPEGImages', i + '.jpg'),
            seg_map_path=osp.join(toy_root, 'SegmentationClass', i + '.png'))
        for i in ids
    ]


@pytest.mark.slow
def test_draw_cams_one_row_per_image_one_panel_per_run(toy_root, tmp_path):
    """tools/analysis_tools/draw_cams.py: the mask and each run's CAMs for
    the first --n images of the config's split, in the order of --runs,
    equal to the figure built here from the visualisation functions; a bad
    --runs is named."""
    from comnet_mm.datasets.seg_tag_dataset import read_label_map
    from comnet_mm.structures.cam_maps import load_cams
    from comnet_mm.visualization import (cam_panel, fit, grid, label_panel,
                                         read_rgb)
    cfg = Config.fromfile(f'{REPO}/configs/cam/cam_toy.py')
    classes = (cfg.cam_cfg.get('eval_dataset')
               or cfg.cam_cfg.dataset).metainfo.classes
    with open(osp.join(toy_root, 'ImageSets/Segmentation/train.txt')) as f:
        ids = f.read().split()[:2]
    runs, expected = [], {i: [] for i in ids}
    for seed, name in enumerate(('a', 'b')):
        folder = tmp_path / name
        folder.mkdir()
        for i in ids:
            img = read_rgb(osp.join(toy_root, 'JPEGImages', i + '.jpg'))
            label = read_label_map(
                osp.join(toy_root, 'SegmentationClass', i + '.png'))
            # each run and image its own CAM: a swapped run or row differs
            cams = np.random.default_rng(seed * 10 + len(expected[i])).random(
                (1, *label.shape)).astype(np.float32)
            np.savez(
                folder / f'{i}.npz', keys=np.zeros(1), cam=cams, high_res=cams)
            if not expected[i]:
                expected[i].append(fit(label_panel(img, label, classes, i)))
            saved = load_cams(str(folder / f'{i}.npz'))
            expected[i].append(fit(cam_panel(img, saved, name)))
        runs.append(f'{name}={folder}')
    tool = osp.join(REPO, 'tools', 'analysis_tools', 'draw_cams.py')
    out = tmp_path / 'cams.png'
    run_tool([
        sys.executable, tool, f'{REPO}/configs/cam/cam_toy.py',
        str(out), '--n', '2', '--runs', *runs, '--cfg-options',
        f'cam_cfg.eval_dataset.data_root={toy_root}'
    ])
    drawn = np.array(Image.open(out).convert('RGB'))
    panel, gap = 160, 4  # visualization.PANEL and grid's gap
    assert drawn.shape[:2] == (2 * panel + gap, 3 * panel + 2 * gap)
    assert np.array_equal(drawn, grid([expected[i] for i in ids]))
    with pytest.raises(AssertionError, match='NAME=CAM_DIR'):
        run_tool([
            sys.executable, tool, f'{REPO}/configs/cam/cam_toy.py',
            str(out), '--runs', 'a' + str(tmp_path / 'nope')
        ])
