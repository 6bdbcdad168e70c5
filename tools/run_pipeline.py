"""Run the whole chain (CAM -> IRN -> DeepLabV3 -> test) for one or more
pipeline configs (configs/pipeline/), resumably; print and save the results
table (``<work_dir>/results.md``, ``results.json``) and, unless
``--no-vis``, the figures (``<work_dir>/vis/``).

    python tools/run_pipeline.py configs/pipeline/comnet_r50_voc.py
    python tools/run_pipeline.py configs/pipeline/comnet_r50_voc.py \
        --launcher pytorch --gpus 4
    python tools/run_pipeline.py configs/pipeline/baseline_toy.py \
        configs/pipeline/comnet_toy.py --work-dir work_dirs/demo
"""
import argparse
import json
import os
import os.path as osp

from mmengine.config import Config, DictAction

from comnet_mm.engine.per_image import write_text_atomic
from comnet_mm.pipeline import Pipeline, find_config, results_table


def parse_args():
    parser = argparse.ArgumentParser(description='Run comnet_mm pipelines')
    parser.add_argument('pipelines', nargs='+', help='pipeline config(s)')
    parser.add_argument('--work-dir', default='work_dirs/pipeline',
                        help='pipeline P runs in <work-dir>/<P name>')
    parser.add_argument('--data-root', help='override each data_root')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override pipeline config keys, e.g. '
        'cam.options.train_cfg.max_epochs=1')
    parser.add_argument('--launcher', choices=['none', 'pytorch'],
                        default='none', help='pytorch: every stage under '
                        'torchrun with --gpus processes (gloo without CUDA)')
    parser.add_argument('--gpus', type=int, default=1)
    parser.add_argument('--port', type=int, default=29500)
    parser.add_argument('--verbose', action='store_true',
                        help='stream the stages\' output')
    parser.add_argument('--no-vis', action='store_true',
                        help='do not draw the figures')
    parser.add_argument('--vis-images', type=int, default=4,
                        help='images per figure')
    return parser.parse_args()


def main():
    args = parse_args()
    results, dirs = {}, {}
    for path in args.pipelines:
        cfg = Config.fromfile(find_config(path))
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        if args.data_root:
            cfg.data_root = args.data_root
        name = osp.splitext(osp.basename(path))[0]
        if name in dirs:
            raise ValueError(f'two pipeline configs named {name}')
        dirs[name] = osp.join(args.work_dir, name)
        print(f'=== pipeline {name} ({path}) in {dirs[name]}', flush=True)
        pipeline = Pipeline(cfg, dirs[name], args.launcher, args.gpus,
                            args.port, args.verbose)
        results[name] = pipeline.run(log=lambda s: print(s, flush=True))
    markdown, table = results_table(results)
    os.makedirs(args.work_dir, exist_ok=True)
    write_text_atomic(osp.join(args.work_dir, 'results.md'), markdown)
    write_text_atomic(osp.join(args.work_dir, 'results.json'),
                      json.dumps(table, indent=1))
    if not args.no_vis:
        from comnet_mm.visualization import draw_pipeline_figures
        figures = draw_pipeline_figures(dirs, osp.join(args.work_dir, 'vis'),
                                        args.vis_images)
        print('figures: ' + ', '.join(figures))
    print('\n' + markdown)
    print(f'written to {osp.join(args.work_dir, "results.md")} and '
          'results.json')


if __name__ == '__main__':
    main()
