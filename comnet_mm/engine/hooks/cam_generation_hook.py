from comnet_mm.cams.generation import run_cam_stage
from comnet_mm.registry import HOOKS
from .stage_hook import StageHook


@HOOKS.register_module()
class CAMGenerationHook(StageHook):
    """After training, write the CAMs of ``cam_cfg`` and log their mIoU.

    ``cam_cfg`` is the hook's argument or the run's config key (see
    :func:`comnet_mm.cams.run_cam_stage`); ``tools/make_cams.py`` runs the
    same function on a checkpoint.
    """
    priority = 'LOW'
    cfg_key = 'cam_cfg'

    def __init__(self, cam_cfg: dict = None):
        super().__init__(cam_cfg)

    def after_train(self, runner):
        metrics = run_cam_stage(runner.model, self.stage_cfg(runner),
                                runner.work_dir)
        self.log_metrics(runner, 'CAM evaluation', metrics)
