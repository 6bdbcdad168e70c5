"""Run the ablation grid over seeds and write its tables.

    python tools/run_ablations.py configs/ablations/toy_tables.py \
        [--tables II-cam variants] [--rows inter inter_raw] [--seeds 0 1 2] \
        [--work-dir work_dirs/ablations] \
        [--records docs/results.json] [--out docs/results.md] \
        [--data-root DIR] [--pretrain-data-root DIR] [--cfg-options K=V ...]

Every (row, seed) runs through the pipeline in ``<work-dir>/<row>/seed<k>``
(resumable); each finished run is added to ``--records`` and the tables in
``--out`` are rewritten at once, so the grid can be stopped and resumed,
also from a fresh checkout holding only the records
(``comnet_mm/ablations.py``).
"""
import argparse
import shlex
import sys

from mmengine.config import Config, DictAction

from comnet_mm.ablations import run_grid
from comnet_mm.pipeline import find_config

RECORDS, OUT = 'docs/results.json', 'docs/results.md'


def parse_args():
    parser = argparse.ArgumentParser(description='Run the ablation grid')
    parser.add_argument('grid', help='grid config')
    parser.add_argument(
        '--tables', nargs='+', help='tables to run (default all, in order)')
    parser.add_argument(
        '--rows',
        nargs='+',
        help='run only these rows of the tables (default all)')
    parser.add_argument(
        '--seeds', type=int, nargs='+', help='default: the grid\'s seeds')
    parser.add_argument('--work-dir', default='work_dirs/ablations')
    parser.add_argument('--records', default=RECORDS)
    parser.add_argument('--out', default=OUT)
    parser.add_argument(
        '--data-root',
        help='override each data_root (not part of a run\'s definition: '
        'other data need their own --records and --out)')
    parser.add_argument(
        '--pretrain-data-root', help='override each pretrain_data_root')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override every row\'s pipeline config keys (part of each '
        'run\'s definition), e.g. cam.options.train_cfg.max_epochs=1')
    return parser.parse_args()


def resume_command(grid: Config, args, argv) -> str:
    """The command that remakes (and resumes) the whole grid into the same
    files: the grid's own command with the options that change where runs
    go or what they are, without the ones that only pick which runs to make
    now (--tables, --rows, --seeds, --work-dir)."""
    parts = [
        grid.get('command') or f'python tools/run_ablations.py {args.grid}'
    ]
    chosen = dict(records=(args.records, RECORDS), out=(args.out, OUT))
    chosen['data-root'] = (args.data_root, None)
    chosen['pretrain-data-root'] = (args.pretrain_data_root, None)
    for flag, (value, default) in chosen.items():
        if value != default:
            parts += [f'--{flag}', shlex.quote(value)]
    if '--cfg-options' in argv:
        tail = argv[argv.index('--cfg-options') + 1:]
        ends = [i for i, a in enumerate(tail) if a.startswith('--')]
        parts += ['--cfg-options'
                  ] + [shlex.quote(a) for a in tail[:(ends or [None])[0]]]
    return ' '.join(parts)


def main():
    args = parse_args()
    grid = Config.fromfile(find_config(args.grid))
    run_grid(
        grid,
        args.work_dir,
        args.records,
        args.out,
        seeds=args.seeds or grid.seeds,
        tables=args.tables,
        rows=args.rows,
        data_root=args.data_root,
        pretrain_data_root=args.pretrain_data_root,
        options=args.cfg_options,
        command=resume_command(grid, args, sys.argv[1:]),
        log=lambda s: print(s, flush=True))
    print(f'written to {args.out} and {args.records}')


if __name__ == '__main__':
    main()
