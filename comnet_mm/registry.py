"""Registration into the OpenMMLab registries our users already build from.

comnet_mm has no registry of its own: a config that says
``custom_imports = dict(imports=['comnet_mm'])`` must find our modules by their
plain type names, whatever its ``default_scope`` is. mmengine looks a type up
in
the registry of the current scope and its parents, never in a sibling, so a
component that belongs to both worlds is registered in both mmseg's and
mmpretrain's registry. The objects below only forward ``register_module`` to
the registries they wrap.
"""
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmpretrain.registry import DATASETS as PRETRAIN_DATASETS
from mmpretrain.registry import HOOKS as PRETRAIN_HOOKS
from mmpretrain.registry import METRICS as PRETRAIN_METRICS
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmpretrain.registry import TRANSFORMS as PRETRAIN_TRANSFORMS
from mmseg.registry import DATASETS as SEG_DATASETS
from mmseg.registry import HOOKS as SEG_HOOKS
from mmseg.registry import METRICS as SEG_METRICS
from mmseg.registry import MODELS as SEG_MODELS
from mmseg.registry import TRANSFORMS as SEG_TRANSFORMS


class _Registries:
    """Forward ``register_module`` to several mmengine registries at once.

    Args:
        *registries: the mmengine ``Registry`` objects to register into.
    """

    def __init__(self, *registries):
        self.registries = registries

    def register_module(self, name=None, force=False):

        def _register(cls):
            for registry in self.registries:
                registry.register_module(name=name, force=force, module=cls)
            return cls

        return _register


#: Classification components (datasets, CAM models, necks, heads, metrics,
#: hooks): usable from mmseg and mmpretrain configs alike.
MODELS = _Registries(SEG_MODELS, PRETRAIN_MODELS)
DATASETS = _Registries(SEG_DATASETS, PRETRAIN_DATASETS)
TRANSFORMS = _Registries(SEG_TRANSFORMS, PRETRAIN_TRANSFORMS)
METRICS = _Registries(SEG_METRICS, PRETRAIN_METRICS)
HOOKS = _Registries(SEG_HOOKS, PRETRAIN_HOOKS)
#: Collate functions: mmengine's root registry, which every scope falls back
#: to.
FUNCTIONS = MMENGINE_FUNCTIONS
