from comnet_mm.irn.pseudo_labels import cam_threshold
from comnet_mm.irn.seeds import generate_seeds
from comnet_mm.registry import HOOKS
from comnet_mm.utils.per_image import build_split
from .stage_hook import StageHook


@HOOKS.register_module()
class SeedGenerationHook(StageHook):
    """Before the IRN stage trains, write the seeds its dataset reads.

    ``seed_cfg`` (argument or config key): ``dataset`` (the split to train
    on), ``cam_dir``, ``out_dir`` (the folder the training dataset's
    ``seg_map_path`` points at), ``fg_thr``, ``bg_thr`` (numbers, IRN's 0.30
    and 0.05 by default, or ``'cam_best'``: the CAM stage's best threshold
    on ``train``, :func:`~comnet_mm.irn.pseudo_labels.cam_threshold`),
    ``crf`` (arguments of :func:`comnet_mm.structures.crf.crf_labels`).
    Complete seed files made with the same settings are kept.
    """
    priority = 'VERY_HIGH'
    cfg_key = 'seed_cfg'

    def __init__(self, seed_cfg: dict = None):
        super().__init__(seed_cfg)

    def before_train(self, runner):
        cfg = self.stage_cfg(runner)
        generate_seeds(
            build_split(cfg['dataset']), cfg['cam_dir'], cfg['out_dir'],
            cam_threshold(cfg, 'fg_thr', 0.30, 'seed_cfg'),
            cam_threshold(cfg, 'bg_thr', 0.05, 'seed_cfg'), cfg.get('crf'))
