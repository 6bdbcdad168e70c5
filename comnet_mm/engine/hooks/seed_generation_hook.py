from comnet_mm.irn.seeds import generate_seeds
from comnet_mm.registry import HOOKS
from comnet_mm.utils.per_image import build_split
from .stage_hook import StageHook


@HOOKS.register_module()
class SeedGenerationHook(StageHook):
    """Before the IRN stage trains, write the seeds its dataset reads.

    ``seed_cfg`` (argument or config key): ``dataset`` (the split to train
    on), ``cam_dir``, ``out_dir`` (the folder the training dataset's
    ``seg_map_path`` points at), ``fg_thr``, ``bg_thr``, ``crf`` (arguments
    of :func:`comnet_mm.structures.crf.crf_labels`). Complete seed files are
    kept.
    """
    priority = 'VERY_HIGH'
    cfg_key = 'seed_cfg'

    def __init__(self, seed_cfg: dict = None):
        super().__init__(seed_cfg)

    def before_train(self, runner):
        cfg = self.stage_cfg(runner)
        generate_seeds(
            build_split(cfg['dataset']), cfg['cam_dir'], cfg['out_dir'],
            cfg.get('fg_thr', 0.30), cfg.get('bg_thr', 0.05), cfg.get('crf'))
