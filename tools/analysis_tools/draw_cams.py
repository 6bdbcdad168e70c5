"""Draw the CAMs of several runs side by side on the first images of the
split a CAM config scores: the mask, then each run's top CAM as a heat map
(docs/benchmark.md uses it to compare pretrainings).

    python tools/analysis_tools/draw_cams.py \
        work_dirs/ablations/baseline/seed0/cam/config.py cams.png \
        --runs "old=work_dirs/old/cam/cams" "new=work_dirs/new/cam/cams"
"""
import argparse
import os.path as osp

from cam_spread import split_infos
from mmengine.config import Config, DictAction

from comnet_mm.datasets.seg_tag_dataset import read_label_map
from comnet_mm.structures.cam_maps import load_cams
from comnet_mm.visualization import (cam_panel, fit, grid, label_panel,
                                     read_rgb, save_png)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a CAM config (its cam_cfg split)')
    parser.add_argument('out', help='the PNG to write')
    parser.add_argument(
        '--runs', nargs='+', required=True, help='NAME=CAM_DIR, in order')
    parser.add_argument('--n', type=int, default=5, help='images')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    runs = []
    for run in args.runs:
        name, sep, folder = run.partition('=')
        if not sep or not osp.isdir(folder):
            raise ValueError(f'--runs takes NAME=CAM_DIR with an existing '
                             f'folder, got {run!r}')
        runs.append((name, folder))
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    dataset_cfg = cfg.cam_cfg.get('eval_dataset') or cfg.cam_cfg.dataset
    classes = dataset_cfg.metainfo.classes
    rows = []
    for info in split_infos(cfg)[:args.n]:
        img = read_rgb(info['img_path'])
        label = read_label_map(info['seg_map_path'])
        row = [fit(label_panel(img, label, classes, info['img_id']))]
        for name, folder in runs:
            cams = load_cams(osp.join(folder, info['img_id'] + '.npz'))
            row.append(fit(cam_panel(img, cams, name)))
        rows.append(row)
    save_png(args.out, grid(rows))
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
