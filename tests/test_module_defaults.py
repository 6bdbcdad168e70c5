"""comnet_mm.engine.module_defaults: the defaults of the comnet_mm modules a
config names, read by hand from the modules' signatures."""
import pytest

from comnet_mm.engine.module_defaults import (config_types, defaults_digest,
                                              module_defaults)
from comnet_mm.models.necks.inter_matching import InterMatching
from comnet_mm.models.necks.intra_matching import IntraMatching

CFG = dict(
    model=dict(
        type='CAMClassifier',
        backbone=dict(type='ResNet', depth=18),
        neck=[dict(type='IntraMatching', in_channels=8, k=4)]),
    train_pipeline=[dict(type='LoadImageFromFile'), (dict(type='Pack'), )],
    custom_hooks=[],
    notes=dict(type=3))  # not a type name: ignored


def test_config_types_by_hand():
    assert config_types(CFG) == {
        'CAMClassifier', 'ResNet', 'IntraMatching', 'LoadImageFromFile', 'Pack'
    }


def test_module_defaults_are_comnet_modules_only():
    out = module_defaults([CFG])
    assert sorted(out) == ['CAMClassifier', 'IntraMatching']  # not ResNet
    intra = out['IntraMatching']
    # every keyword with a default, none without (in_channels)
    assert intra == {
        'mlp_channels': 'None',
        'k': '8',
        'norm': "'BN'",
        'act': "'ReLU'",
        'in_index': '-1',
        'chunk': '256',
        'apply_at_inference': 'True',
        'metric': "'l2'"
    }


def test_digest_follows_the_named_modules_defaults(monkeypatch):
    before = defaults_digest(CFG)
    assert defaults_digest(dict(CFG)) == before  # content, not identity
    # a module the config does not name: nothing changes
    monkeypatch.setattr(InterMatching.__init__, '__defaults__',
                        (2.0, ) + InterMatching.__init__.__defaults__[1:])
    assert defaults_digest(CFG) == before
    # one it names: the digest changes, and back
    defaults = IntraMatching.__init__.__defaults__
    monkeypatch.setattr(IntraMatching.__init__, '__defaults__',
                        defaults[:-1] + ('cosine', ))
    assert module_defaults([CFG])['IntraMatching']['metric'] == "'cosine'"
    assert defaults_digest(CFG) != before
    monkeypatch.setattr(IntraMatching.__init__, '__defaults__', defaults)
    assert defaults_digest(CFG) == before


@pytest.mark.parametrize('value', [len, IntraMatching])
def test_callable_defaults_have_no_address(value, monkeypatch):
    """A default that is a function or class is written by name, so the
    digest is the same in every process."""
    defaults = IntraMatching.__init__.__defaults__
    monkeypatch.setattr(IntraMatching.__init__, '__defaults__',
                        defaults[:-1] + (value, ))
    text = module_defaults([CFG])['IntraMatching']['metric']
    assert '0x' not in text and text.endswith(value.__qualname__)
