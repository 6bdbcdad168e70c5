"""What a config leaves to the code: the keyword defaults of the comnet_mm
modules it names by ``type``.

A config digest (:func:`comnet_mm.pipeline.digest`) covers what the file
says. The modules' defaults decide the rest: ``IntraMatching``'s partner
metric, ``InterMatching``'s affinity and sign rule, a hook's settings. The
pipeline's ``stage.json`` and the ablation grid's records keep
:func:`defaults_digest` beside the config digest, so a changed default makes
the runs of the configs that build that module stale, instead of leaving
records that describe a network the code no longer builds.

Only comnet_mm's own registered modules count: the pinned OpenMMLab
versions (``requirements/ci.txt``) fix everyone else's, and a module the
configs do not name (a new one, one of another stage) changes nothing.
"""
import hashlib
import inspect
import json
from typing import Dict, Iterable, Set

from ..registry import DATASETS, FUNCTIONS, HOOKS, METRICS, MODELS, TRANSFORMS


def config_types(obj) -> Set[str]:
    """Every string ``type`` of the dicts nested in ``obj`` (a config as a
    dict: ``Config.to_dict()``)."""
    found = set()
    if isinstance(obj, dict):
        if isinstance(obj.get('type'), str):
            found.add(obj['type'])
        for value in obj.values():
            found |= config_types(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            found |= config_types(value)
    return found


def registered_modules() -> Dict[str, object]:
    """comnet_mm's classes and functions in the OpenMMLab registries, by
    registered name."""
    registries = [
        r for group in (MODELS, DATASETS, TRANSFORMS, METRICS, HOOKS)
        for r in group.registries
    ] + [FUNCTIONS]
    out = {}
    for registry in registries:
        for name, obj in registry.module_dict.items():
            if getattr(obj, '__module__', '').startswith('comnet_mm'):
                out.setdefault(name, obj)
    return out


def _stable(value) -> str:
    """A default's text, the same in every process (no addresses)."""
    if callable(value):
        return f'{getattr(value, "__module__", "")}.' \
            f'{getattr(value, "__qualname__", type(value).__name__)}'
    return repr(value)


def module_defaults(cfg_dicts: Iterable[dict]) -> Dict[str, Dict[str, str]]:
    """{registered name: {argument: default}} of the comnet_mm modules the
    configs name; arguments without a default are left out."""
    modules = registered_modules()
    names = set()
    for cfg in cfg_dicts:
        names |= config_types(cfg)
    out = {}
    for name in sorted(names & set(modules)):
        params = inspect.signature(modules[name]).parameters.values()
        out[name] = {
            p.name: _stable(p.default)
            for p in params if p.default is not inspect.Parameter.empty
        }
    return out


def defaults_digest(*cfg_dicts: dict) -> str:
    """A short hash of :func:`module_defaults`: equal while the modules the
    configs name keep their defaults."""
    text = json.dumps(module_defaults(cfg_dicts), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
