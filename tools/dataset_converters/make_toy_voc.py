"""Write the embedded toy dataset in the VOC 2012 layout.

    python tools/dataset_converters/make_toy_voc.py data/toy_voc [--seed 0]

Kept as is when the folder already holds a dataset made with the same
parameters; see comnet_mm/toy/generator.py and docs/toy_dataset.md.
"""
import argparse
import json
import time
from dataclasses import fields

from comnet_mm.toy import ToyVOCConfig, generate


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', help='dataset root to write')
    for f in fields(ToyVOCConfig):
        if f.name == 'names':
            continue
        parser.add_argument(
            '--' + f.name.replace('_', '-'),
            type=type(f.default),
            default=f.default,
            help=f'default {f.default}')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace a dataset made with other parameters')
    return parser.parse_args()


def main():
    args = parse_args()
    params = {
        f.name: getattr(args, f.name)
        for f in fields(ToyVOCConfig) if f.name != 'names'
    }
    start = time.time()
    stats = generate(args.out, ToyVOCConfig(**params), args.overwrite)
    print(f'toy VOC dataset at {args.out} ({time.time() - start:.1f} s)')
    print(json.dumps(stats['train_aug'], indent=1))


if __name__ == '__main__':
    main()
