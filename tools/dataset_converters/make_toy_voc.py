"""Write the embedded toy dataset in the VOC 2012 layout.

    python tools/dataset_converters/make_toy_voc.py data/toy_voc [--seed 0]

Kept as is when the folder already holds a dataset made with the same
parameters; see comnet_mm/toy/generator.py and docs/toy_dataset.md.
"""
import json
import time

from comnet_mm.toy import ToyVOCConfig, generate
from comnet_mm.toy.cli import config_from_args, config_parser


def main():
    args = config_parser(
        __doc__.split('\n')[0], ToyVOCConfig, skip=('names', )).parse_args()
    cfg = config_from_args(args, ToyVOCConfig, skip=('names', ))
    start = time.time()
    stats = generate(args.out, cfg, args.overwrite)
    print(f'toy VOC dataset at {args.out} ({time.time() - start:.1f} s)')
    print(json.dumps(stats['train_aug'], indent=1))


if __name__ == '__main__':
    main()
