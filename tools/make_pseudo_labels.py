"""Write and score pseudo masks with a trained IRN boundary network.

    python tools/make_pseudo_labels.py CONFIG CKPT [--work-dir DIR] [--cfg-options ...]
    torchrun --nproc_per_node N tools/make_pseudo_labels.py CONFIG CKPT --launcher pytorch

Same code path as the ``PseudoLabelHook`` that runs after the IRN stage
trains: split, CAM folder and random-walk settings come from the config's
``pseudo_cfg``; masks go to ``<work_dir>/<pseudo_cfg.out_dir>/<img_id>.png``
(0 background, c + 1 class c), written atomically; complete files are kept,
so a killed run resumes.
"""
import argparse
import os.path as osp

from mmengine.dist import init_dist, is_distributed

import comnet_mm  # noqa: F401
from comnet_mm.engine import add_common_args, build_and_load, load_config
from comnet_mm.engine.per_image import write_metrics
from comnet_mm.irn.pseudo_labels import run_pseudo_label_stage


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the IRN stage config')
    parser.add_argument('checkpoint', help='a checkpoint of that model')
    add_common_args(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_config(args)
    if args.launcher == 'pytorch' and not is_distributed():
        init_dist('pytorch')
    if cfg.get('pseudo_cfg') is None:
        raise KeyError(f'{args.config} has no pseudo_cfg')
    model = build_and_load(cfg, args.checkpoint)
    if not hasattr(model, 'boundary_map'):
        raise TypeError(f'{cfg.model.type} is not a boundary network')
    metrics = run_pseudo_label_stage(model, cfg.pseudo_cfg, cfg.work_dir)
    write_metrics(metrics, osp.join(
        cfg.work_dir, cfg.pseudo_cfg.get('out_dir', 'pseudo_masks')) +
        '_metrics.json')


if __name__ == '__main__':
    main()
