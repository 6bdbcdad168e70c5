"""Write the toy set's ImageNet stand-in (the pretraining set).

    python tools/dataset_converters/make_toy_imagenet.py data/toy_imagenet

Kept as is when the folder already holds a set made with the same
parameters; see comnet_mm/toy/pretrain.py and docs/toy_dataset.md.
"""
import time
from dataclasses import asdict

from comnet_mm.toy.cli import config_from_args, config_parser
from comnet_mm.toy.pretrain import ToyImageNetConfig, generate_pretrain


def main():
    args = config_parser(__doc__.split('\n')[0],
                         ToyImageNetConfig).parse_args()
    cfg = config_from_args(args, ToyImageNetConfig)
    start = time.time()
    generate_pretrain(args.out, cfg, args.overwrite)
    print(f'toy ImageNet stand-in at {args.out} ({time.time() - start:.1f} s)'
          f': {asdict(cfg)}')


if __name__ == '__main__':
    main()
