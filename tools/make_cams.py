"""Write and score the CAMs of a trained CAM checkpoint (multi-scale + flip).

    python tools/make_cams.py CONFIG CKPT [--work-dir DIR] [--cfg-options ...]
    torchrun --nproc_per_node N tools/make_cams.py CONFIG CKPT \
        --launcher pytorch

Same code path as the ``CAMGenerationHook`` that runs after training: the
split, scales and metric come from the config's ``cam_cfg``; files go to
``<work_dir>/<cam_cfg.out_dir>/<img_id>.npz`` (keys ``keys``, ``cam``,
``high_res``), written atomically; complete files are kept, so a killed run
resumes.
"""
import json

import comnet_mm  # noqa: F401  (registers our modules, allows checkpoints)
from comnet_mm.cams import run_cam_stage
from comnet_mm.engine import stage_tool_setup


def main():
    cfg, model = stage_tool_setup(
        __doc__.split('\n')[0], 'cam_cfg', 'head.class_maps')
    metrics = run_cam_stage(model, cfg.cam_cfg, cfg.work_dir)
    if metrics:
        print(json.dumps(metrics))


if __name__ == '__main__':
    main()
