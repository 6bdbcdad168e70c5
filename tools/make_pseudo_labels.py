"""Write and score pseudo masks with a trained IRN boundary network.

    python tools/make_pseudo_labels.py CONFIG CKPT [--work-dir DIR] \
        [--cfg-options ...]
    torchrun --nproc_per_node N tools/make_pseudo_labels.py CONFIG CKPT \
        --launcher pytorch

Same code path as the ``PseudoLabelHook`` that runs after the IRN stage
trains: split, CAM folder and random-walk settings come from the config's
``pseudo_cfg``; masks go to ``<work_dir>/<pseudo_cfg.out_dir>/<img_id>.png``
(0 background, c + 1 class c), written atomically; complete files are kept,
so a killed run resumes.
"""
import json

import comnet_mm  # noqa: F401  (registers our modules, allows checkpoints)
from comnet_mm.engine import stage_tool_setup
from comnet_mm.irn.pseudo_labels import run_pseudo_label_stage


def main():
    cfg, model = stage_tool_setup(
        __doc__.split('\n')[0], 'pseudo_cfg', 'boundary_map')
    metrics = run_pseudo_label_stage(model, cfg.pseudo_cfg, cfg.work_dir)
    if metrics:
        print(json.dumps(metrics))


if __name__ == '__main__':
    main()
