"""Whether the matching modules' raw material finds the objects: M* quality
and intra-matching partner precision of a CAM checkpoint, on co-occurrent
pairs of the config's ``cam_cfg.eval_dataset`` (``train``; never ``val``).

    python tools/analysis_tools/matching_diagnostics.py CAM_CONFIG CAM_CKPT \
        [--cfg-options diag_pairs=80 diag_out=diag.json diag_variants=True]

Works for the baseline too (what inter-matching would make of its
features). Prints and writes (``diag_out``) the means of
:func:`comnet_mm.cams.matching_diagnostics.matching_diagnostics`: the IoU
of M* > 0 with the shared classes' cells, its positive fraction, the rate
of image-vs-image splits, and the share of each point's k partners on its
own label against chance. Images are resized to the config's crop size.
``diag_variants=True`` adds every affinity and sign rule of inter-matching
(``inter/<affinity>/<rule>/iou`` ...), the CAM's sign and the best sign.
"""
import json

import comnet_mm  # noqa: F401  (registers our modules, allows checkpoints)
from comnet_mm.cams.matching_diagnostics import (co_occurrent_pairs,
                                                 matching_diagnostics)
from comnet_mm.engine import stage_tool_setup
from comnet_mm.utils.per_image import build_split, write_text_atomic


def main():
    cfg, model = stage_tool_setup(
        __doc__.split('\n')[0], 'cam_cfg', 'backbone')
    dataset = build_split(cfg.cam_cfg['eval_dataset'])
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    pairs = co_occurrent_pairs(infos, int(cfg.get('diag_pairs', 80)))
    out = matching_diagnostics(
        model,
        pairs,
        int(cfg.get('crop_size', 512)),
        variants=bool(cfg.get('diag_variants', False)))
    text = json.dumps(out, indent=1)
    print(text)
    if cfg.get('diag_out'):
        write_text_atomic(cfg.diag_out, text)


if __name__ == '__main__':
    main()
