"""The command line of the toy generators: one option per field of their
config dataclass (``--num-classes`` for ``num_classes``), so a new field
needs no new argument code."""
import argparse
from dataclasses import fields
from typing import Sequence


def config_parser(description: str, config_cls, skip: Sequence[str] = ()):
    """``out``, ``--overwrite`` and one option per field of ``config_cls``
    (but ``skip``), typed and defaulted like the field."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('out', help='dataset root to write')
    for f in fields(config_cls):
        if f.name in skip:
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
    return parser


def config_from_args(args: argparse.Namespace,
                     config_cls,
                     skip: Sequence[str] = ()):
    """The ``config_cls`` the parsed options describe."""
    return config_cls(
        **{
            f.name: getattr(args, f.name)
            for f in fields(config_cls) if f.name not in skip
        })
