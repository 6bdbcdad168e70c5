"""Write the toy set's ImageNet stand-in (the pretraining set).

    python tools/dataset_converters/make_toy_imagenet.py data/toy_imagenet

Kept as is when the folder already holds a set made with the same
parameters; see comnet_mm/toy/pretrain.py and docs/toy_dataset.md.
"""
import argparse
import time
from dataclasses import asdict, fields

from comnet_mm.toy.pretrain import ToyImageNetConfig, generate_pretrain


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', help='dataset root to write')
    for f in fields(ToyImageNetConfig):
        parser.add_argument('--' + f.name.replace('_', '-'),
                            type=type(f.default), default=f.default,
                            help=f'default {f.default}')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace a set made with other parameters')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = ToyImageNetConfig(**{
        f.name: getattr(args, f.name) for f in fields(ToyImageNetConfig)})
    start = time.time()
    generate_pretrain(args.out, cfg, args.overwrite)
    print(f'toy ImageNet stand-in at {args.out} ({time.time() - start:.1f} s)'
          f': {asdict(cfg)}')


if __name__ == '__main__':
    main()
