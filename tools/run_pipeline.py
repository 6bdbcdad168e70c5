"""Run the whole chain (CAM -> IRN -> DeepLabV3 -> test) for one or more
pipeline configs (configs/pipeline/), resumably; print and save the results
table (``<work_dir>/results.md``, ``results.json``) and, unless
``--no-vis``, the figures (``<work_dir>/vis/``).

    python tools/run_pipeline.py configs/pipeline/comnet_r50_voc.py
    python tools/run_pipeline.py configs/pipeline/comnet_r50_voc.py \
        --launcher pytorch --gpus 4
    python tools/run_pipeline.py configs/pipeline/baseline_toy.py \
        configs/pipeline/comnet_toy.py --work-dir work_dirs/demo
    python tools/run_pipeline.py configs/pipeline/baseline_toy.py \
        --seeds 0 1 2 --work-dir work_dirs/bench   # mean +- std of 3 seeds

Pipeline P runs in ``<work_dir>/<P>`` (with ``--seeds``:
``<work_dir>/<P>/seed<k>``, each stage config's ``randomness.seed`` set to
k); a shared stage (the toy's pretraining) runs once in
``<work_dir>/<stage>`` for all of them.
"""
import argparse
import json
import os
import os.path as osp

from mmengine.config import Config, DictAction

from comnet_mm.pipeline import (CHAIN, Pipeline, find_config, results_table,
                                seed_options, seeds_table)
from comnet_mm.utils.per_image import write_text_atomic
from comnet_mm.visualization import draw_pipeline_figures


def parse_args():
    parser = argparse.ArgumentParser(description='Run comnet_mm pipelines')
    parser.add_argument('pipelines', nargs='+', help='pipeline config(s)')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/pipeline',
        help='pipeline P runs in <work-dir>/<P name>')
    parser.add_argument('--data-root', help='override each data_root')
    parser.add_argument(
        '--pretrain-data-root',
        help='override each pretrain_data_root (the toy\'s '
        'ImageNet stand-in)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override pipeline config keys, e.g. '
        'cam.options.train_cfg.max_epochs=1')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch'],
        default='none',
        help='pytorch: every stage under '
        'torchrun with --gpus processes (gloo without CUDA)')
    parser.add_argument('--gpus', type=int, default=1)
    parser.add_argument('--port', type=int, default=29500)
    parser.add_argument(
        '--verbose', action='store_true', help='stream the stages\' output')
    parser.add_argument(
        '--no-vis', action='store_true', help='do not draw the figures')
    parser.add_argument(
        '--vis-images', type=int, default=4, help='images per figure')
    parser.add_argument(
        '--until',
        choices=[s.name for s in CHAIN],
        help='the last stage to run (e.g. cam: the CAM-stage ablations)')
    parser.add_argument(
        '--seeds',
        type=int,
        nargs='+',
        help='run each pipeline once per seed (randomness.'
        'seed of every stage) and tabulate mean +- std')
    return parser.parse_args()


def main():
    args = parse_args()
    dirs, per_seed = {}, {}
    for path in args.pipelines:
        cfg = Config.fromfile(find_config(path))
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        if args.data_root:
            cfg.data_root = args.data_root
        if args.pretrain_data_root:
            cfg.pretrain_data_root = args.pretrain_data_root
        name = osp.splitext(osp.basename(path))[0]
        if name in dirs:
            raise ValueError(f'two pipeline configs named {name}')
        dirs[name] = osp.join(args.work_dir, name)
        runs = {
            None: dirs[name]
        } if args.seeds is None else {
            k: osp.join(dirs[name], f'seed{k}')
            for k in args.seeds
        }
        for seed, folder in runs.items():
            print(f'=== pipeline {name} ({path}) in {folder}', flush=True)
            run_cfg = cfg if seed is None else seed_options(cfg, seed)
            pipeline = Pipeline(
                run_cfg,
                folder,
                args.launcher,
                args.gpus,
                args.port,
                args.verbose,
                shared_dir=args.work_dir,
                until=args.until)
            records = pipeline.run(log=lambda s: print(s, flush=True))
            per_seed.setdefault(name, {})[seed] = records
        if args.seeds is not None:  # the figures show the first seed
            dirs[name] = runs[args.seeds[0]]
    if args.seeds is None:
        markdown, table = results_table(
            {name: runs[None]
             for name, runs in per_seed.items()})
        stem = 'results'
    else:  # its own file: a seeds table beside a one-run table
        markdown, table = seeds_table(per_seed)
        stem = 'results_seeds'
    os.makedirs(args.work_dir, exist_ok=True)
    write_text_atomic(osp.join(args.work_dir, stem + '.md'), markdown)
    write_text_atomic(
        osp.join(args.work_dir, stem + '.json'), json.dumps(table, indent=1))
    if not args.no_vis and args.until not in (None, CHAIN[-1].name):
        print(f'figures skipped: they draw every stage, and --until '
              f'{args.until} stops before the last')
    elif not args.no_vis:
        figures = draw_pipeline_figures(dirs, osp.join(args.work_dir, 'vis'),
                                        args.vis_images)
        print('figures: ' + ', '.join(figures))
    print('\n' + markdown)
    print(f'written to {osp.join(args.work_dir, stem)}.md and .json')


if __name__ == '__main__':
    main()
