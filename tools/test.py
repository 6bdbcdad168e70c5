"""Test a checkpoint of any comnet_mm stage with mmengine's Runner.

mmseg's arguments (``--show-dir``, ``--tta`` for configs that define
``tta_model``/``tta_pipeline``), plus ``--crf`` (dense-CRF post-processing of a
segmenter's predictions, see ``CRFEncoderDecoder``); the metrics are also
written to ``<work_dir>/test_metrics.json``. ``--launcher pytorch`` also works
without CUDA.
"""
import argparse
import os.path as osp

import numpy as np
from mmengine.runner import Runner

import comnet_mm  # noqa: F401  (registers our modules, allows checkpoints)
from comnet_mm.engine import add_common_args, load_config
from comnet_mm.utils.per_image import write_metrics


def parse_args():
    parser = argparse.ArgumentParser(description='Test a comnet_mm model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--show-dir',
        help='paint the predictions (every `interval`-th image of '
        'default_hooks.visualization) into this folder; relative paths are '
        'under the work dir')
    parser.add_argument(
        '--crf',
        action='store_true',
        help='refine a segmenter\'s predictions with a dense CRF (sets '
        'model.crf to the config\'s crf_params, {} = IRN\'s, unless the '
        'config already sets model.crf)')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation (the '
        'config\'s tta_pipeline and tta_model; not with the CRF)')
    add_common_args(parser)
    return parser.parse_args()


def enable_crf(cfg):
    """Turn on ``CRFEncoderDecoder``'s CRF; mmseg's plain ``EncoderDecoder``
    becomes a ``CRFEncoderDecoder`` (same arguments plus ``crf``)."""
    if cfg.model.type not in ('EncoderDecoder', 'CRFEncoderDecoder'):
        raise ValueError(f'--crf needs an (CRF)EncoderDecoder segmenter, the '
                         f'config builds {cfg.model.type}')
    cfg.model.type = 'CRFEncoderDecoder'
    if cfg.model.get('crf') is None:
        # crf_params: the CRF's pairwise terms for the config's image size
        # (IRN's defaults are for ~500 px VOC images)
        cfg.model.crf = dict(cfg.get('crf_params') or {})


def enable_drawing(cfg, show_dir):
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise KeyError('--show-dir needs default_hooks.visualization')
    hook['draw' if 'Seg' in hook['type'] else 'enable'] = True
    cfg.visualizer['save_dir'] = osp.join(cfg.work_dir, show_dir)


def enable_tta(cfg, config_path):
    """mmseg's test-time augmentation: the config's ``tta_pipeline`` feeds
    its ``tta_model`` wrapped around the model. Refused with the test-time
    CRF: ``SegTTAModel`` merges the views' ``seg_logits`` and would drop the
    CRF's predictions without a word."""
    if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
        raise KeyError(f'--tta: {config_path} has no tta_model / '
                       'tta_pipeline')
    if cfg.model.get('crf') is not None:
        raise ValueError(f'--tta: {config_path} post-processes with a CRF '
                         '(model.crf or --crf), which test-time augmentation '
                         'would discard; use one or the other')
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.tta_model.module = cfg.model
    cfg.model = cfg.tta_model


def main():
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    if args.crf:
        enable_crf(cfg)
    if args.show_dir:
        enable_drawing(cfg, args.show_dir)
    if args.tta:
        enable_tta(cfg, args.config)
    metrics = Runner.from_cfg(cfg).test()
    scalars = {k: v for k, v in metrics.items() if np.ndim(v) == 0}
    write_metrics(scalars, osp.join(cfg.work_dir, 'test'))


if __name__ == '__main__':
    main()
