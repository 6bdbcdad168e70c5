"""Train any comnet_mm stage (or any mmengine config) with mmengine's Runner.

Same arguments and behaviour as mmseg's tools/train.py, plus ``--resume`` may
name a checkpoint, and ``--launcher pytorch`` also works without CUDA (gloo).
"""
import argparse
import logging

from mmengine.logging import print_log
from mmengine.runner import Runner

import comnet_mm  # noqa: F401  (registers our modules, allows checkpoints)
from comnet_mm.engine import add_common_args, load_config


def parse_args():
    parser = argparse.ArgumentParser(description='Train a comnet_mm stage')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or from the latest one in '
        'the work dir when no path is given')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    add_common_args(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = load_config(args)
    if args.amp:
        optim_wrapper = cfg.optim_wrapper.type
        if optim_wrapper == 'AmpOptimWrapper':
            print_log(
                'AMP training is already enabled in your config.',
                logger='current',
                level=logging.WARNING)
        else:
            assert optim_wrapper == 'OptimWrapper', (
                '`--amp` is only supported when the optimizer wrapper type is '
                f'`OptimWrapper` but got {optim_wrapper}.')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    Runner.from_cfg(cfg).train()


if __name__ == '__main__':
    main()
