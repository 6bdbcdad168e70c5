"""What tools/train.py and tools/test.py share: arguments and config set-up."""
import argparse
import os
import os.path as osp

import torch
from mmengine.config import Config, DictAction
from mmengine.dist import init_dist, is_distributed
from mmengine.registry import MODELS, init_default_scope

from comnet_mm.utils.dist import setup_cpu_distributed


def add_common_args(parser: argparse.ArgumentParser):
    """``--work-dir``, ``--cfg-options``, ``--launcher``, ``--local-rank``
    with mmseg's meanings."""
    parser.add_argument('--work-dir', help='the dir for logs and outputs')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value (xxx=yyy format)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(args: argparse.Namespace) -> Config:
    """The config of ``args.config`` with the common arguments applied.

    The work dir defaults to ``./work_dirs/<config name>``; without CUDA a
    ``pytorch`` launcher gets a gloo process group
    (:func:`setup_cpu_distributed`).
    """
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    setup_cpu_distributed(cfg, args.launcher)
    return cfg


def stage_tool_setup(description: str, cfg_key: str, model_attr: str):
    """What tools/make_cams.py and tools/make_pseudo_labels.py share: parse
    ``CONFIG CKPT`` and the common arguments, set up distributed processes
    for ``--launcher pytorch`` (gloo without CUDA), check that the config has
    ``cfg_key`` and that the built model has ``model_attr`` (a dotted path,
    e.g. ``head.class_maps``), load the checkpoint.

    Returns:
        (cfg, model)
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('config', help='the stage config')
    parser.add_argument('checkpoint', help='a checkpoint of that model')
    add_common_args(parser)
    args = parser.parse_args()
    cfg = load_config(args)
    if args.launcher == 'pytorch' and not is_distributed():
        init_dist('pytorch')
    if cfg.get(cfg_key) is None:
        raise KeyError(f'{args.config} has no {cfg_key}')
    model = build_and_load(cfg, args.checkpoint)
    found = model
    for name in model_attr.split('.'):
        found = getattr(found, name, None)
    if found is None:
        raise TypeError(f'{cfg.model.type} (from {args.config}) has no '
                        f'{model_attr}: not the model this stage needs')
    return cfg, model


def build_and_load(cfg: Config, checkpoint: str):
    """Build ``cfg.model`` (in the config's scope) and load ``checkpoint``.

    A checkpoint of another model is an error naming the file and the keys
    that do not fit, rather than a half-loaded model.
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = MODELS.build(cfg.model)
    ckpt = torch.load(checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    want = model.state_dict()
    missing = sorted(set(want) - set(state))
    shapes = [
        k for k in want if k in state and state[k].shape != want[k].shape
    ]
    if missing or shapes:
        raise ValueError(
            f'checkpoint {checkpoint} is not a checkpoint of this model '
            f'({cfg.model.type}): {len(missing)} keys missing (e.g. '
            f'{missing[:3]}), {len(shapes)} of another shape (e.g. '
            f'{shapes[:3]})')
    model.load_state_dict({k: state[k] for k in want})
    if torch.cuda.is_available():
        model = model.cuda()
    return model.eval()
