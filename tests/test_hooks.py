"""The stage hooks' shared base: their config dict comes from the hook's
argument, else the run's config key, else a clear error."""
from types import SimpleNamespace

import pytest
from mmengine.config import Config
from mmpretrain.registry import HOOKS as PRETRAIN_HOOKS
from mmseg.registry import HOOKS as SEG_HOOKS

from comnet_mm.engine.hooks import (CAMGenerationHook, PseudoLabelHook,
                                    SeedGenerationHook, StageHook)


@pytest.mark.parametrize('hook, key', [(CAMGenerationHook, 'cam_cfg'),
                                       (SeedGenerationHook, 'seed_cfg'),
                                       (PseudoLabelHook, 'pseudo_cfg')])
def test_stage_cfg_argument_then_config_then_error(hook, key):
    assert issubclass(hook, StageHook) and hook.cfg_key == key
    runner = SimpleNamespace(cfg=Config({key: dict(out_dir='from_config')}))
    assert hook().stage_cfg(runner) == dict(out_dir='from_config')
    assert hook(
        dict(out_dir='given')).stage_cfg(runner) == dict(out_dir='given')
    empty = SimpleNamespace(cfg=Config({}))
    with pytest.raises(ValueError, match=f'{hook.__name__} needs {key}'):
        hook().stage_cfg(empty)


@pytest.mark.parametrize('name', [
    'CAMGenerationHook', 'SeedGenerationHook', 'PseudoLabelHook',
    'GroupEpochHook'
])
def test_hooks_are_registered_in_both_worlds(name):
    assert SEG_HOOKS.get(name) is PRETRAIN_HOOKS.get(name) is not None
