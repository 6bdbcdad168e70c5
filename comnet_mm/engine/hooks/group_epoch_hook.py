from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop

from comnet_mm.registry import HOOKS


@HOOKS.register_module()
class GroupEpochHook(Hook):
    """Tell a group dataset the epoch before each training epoch.

    It plays the part ``DistSamplerSeedHook`` plays for samplers, for
    :class:`comnet_mm.datasets.CoOccurrentGroupDataset` (also when it is
    wrapped, e.g. by ``RepeatDataset``). With an iteration-based loop there
    is one epoch, so partners are drawn once; a warning says so.
    """
    priority = 'NORMAL'

    def before_train_epoch(self, runner):
        dataset = runner.train_dataloader.dataset
        while not hasattr(dataset, 'set_epoch') and hasattr(
                dataset, 'dataset'):
            dataset = dataset.dataset
        if not hasattr(dataset, 'set_epoch'):
            return
        dataset.set_epoch(runner.epoch)
        if isinstance(runner.train_loop, IterBasedTrainLoop):
            print_log(
                'GroupEpochHook: iteration-based training draws group '
                'partners once (epoch 0); use an epoch-based loop to draw '
                'new partners every epoch.',
                logger='current',
                level=30)
