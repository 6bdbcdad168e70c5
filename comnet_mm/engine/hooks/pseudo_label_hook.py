from comnet_mm.irn.pseudo_labels import run_pseudo_label_stage
from comnet_mm.registry import HOOKS
from .stage_hook import StageHook


@HOOKS.register_module()
class PseudoLabelHook(StageHook):
    """After the IRN stage trains, write the pseudo masks of ``pseudo_cfg``
    and log their mIoU (also to ``<work_dir>/<out_dir>_metrics.json``, see
    :func:`comnet_mm.irn.run_pseudo_label_stage`;
    ``tools/make_pseudo_labels.py``
    runs the same function on a checkpoint)."""
    priority = 'LOW'
    cfg_key = 'pseudo_cfg'

    def __init__(self, pseudo_cfg: dict = None):
        super().__init__(pseudo_cfg)

    def after_train(self, runner):
        metrics = run_pseudo_label_stage(runner.model, self.stage_cfg(runner),
                                         runner.work_dir)
        self.log_metrics(runner, 'pseudo mask evaluation', metrics)
