"""Write and score the CAMs of a trained CAM checkpoint (multi-scale + flip).

    python tools/make_cams.py CONFIG CKPT [--work-dir DIR] [--cfg-options ...]
    bash: torchrun --nproc_per_node N tools/make_cams.py CONFIG CKPT --launcher pytorch

Same code path as the ``CAMGenerationHook`` that runs after training: the
split, scales and metric come from the config's ``cam_cfg``; files go to
``<work_dir>/<cam_cfg.out_dir>/<img_id>.npz`` (keys ``keys``, ``cam``,
``high_res``), written atomically; complete files are kept, so a killed run
resumes.
"""
import argparse
import os.path as osp

from mmengine.dist import init_dist, is_distributed
from mmengine.registry import init_default_scope

import comnet_mm  # noqa: F401
from comnet_mm.cams import run_cam_stage
from comnet_mm.engine.per_image import write_metrics
from comnet_mm.engine import add_common_args, build_and_load, load_config


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the CAM training config')
    parser.add_argument('checkpoint', help='a checkpoint of that model')
    add_common_args(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_config(args)
    if args.launcher == 'pytorch' and not is_distributed():
        init_dist('pytorch')
    init_default_scope(cfg.default_scope)
    if cfg.get('cam_cfg') is None:
        raise KeyError(f'{args.config} has no cam_cfg')
    model = build_and_load(cfg, args.checkpoint)
    if not hasattr(getattr(model, 'head', None), 'class_maps'):
        raise TypeError(f'{cfg.model.type} is not a CAM model (its head has '
                        'no class_maps)')
    metrics = run_cam_stage(model, cfg.cam_cfg, cfg.work_dir)
    write_metrics(metrics, osp.join(
        cfg.work_dir, cfg.cam_cfg.get('out_dir', 'cams') + '_metrics.json'))


if __name__ == '__main__':
    main()
