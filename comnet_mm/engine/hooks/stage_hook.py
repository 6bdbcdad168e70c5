"""The base of the hooks that run a per-image stage inside a training run."""
from typing import Optional

from mmengine.hooks import Hook


class StageHook(Hook):
    """A hook driven by one config dict: its argument or, when that is None,
    the run's config key ``cfg_key`` (e.g. ``cam_cfg``).

    Subclasses set ``cfg_key`` and call :meth:`stage_cfg` in their hook
    method; a run with neither is an error naming the hook and the key.
    """
    cfg_key: str = ''

    def __init__(self, cfg: Optional[dict] = None):
        self.cfg = cfg

    def stage_cfg(self, runner) -> dict:
        cfg = self.cfg if self.cfg is not None else runner.cfg.get(
            self.cfg_key)
        if cfg is None:
            raise ValueError(f'{type(self).__name__} needs {self.cfg_key} '
                             '(hook argument or config key)')
        return cfg

    @staticmethod
    def log_metrics(runner, what: str, metrics: dict):
        """One log line ``<what>: k: v, ...`` (nothing when unscored)."""
        if metrics:
            runner.logger.info(f'{what}: ' +
                               ', '.join(f'{k}: {v}'
                                         for k, v in metrics.items()))
