"""Test a checkpoint of any comnet_mm stage with mmengine's Runner.

Same arguments as mmseg's tools/test.py (minus its show options, which the
segmentation stages add); ``--launcher pytorch`` also works without CUDA.
"""
import argparse
import os.path as osp

from mmengine.runner import Runner

import comnet_mm  # noqa: F401  (registers our modules, allows checkpoints)
from comnet_mm.engine import add_common_args, load_config


def parse_args():
    parser = argparse.ArgumentParser(description='Test a comnet_mm model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    add_common_args(parser)
    return parser.parse_args()


def main():
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    Runner.from_cfg(cfg).test()


if __name__ == '__main__':
    main()
