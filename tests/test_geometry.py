"""The geometry table's numbers, by hand for VOC's configs."""
import math
import sys

import pytest
from mmengine.config import Config

from conftest import REPO

sys.path.insert(0, REPO + '/tools/analysis_tools')
from geometry import geometry  # noqa: E402


def test_voc_geometry_by_hand():
    cam = Config.fromfile(f'{REPO}/configs/comnet/comnet_r50_voc.py')
    irn = Config.fromfile(f'{REPO}/configs/irn/irn_r50_voc.py')
    g = geometry(cam, irn, [(375, 500, [0.2])])
    assert g['output stride at the matching layer'] == 16
    assert g['feature points per image (crop)'] == 32 * 32
    assert g['k / points (%)'] == pytest.approx(100 * 8 / 1024)
    assert g['inter-matching points per group'] == 2048
    # long side 640 x 0.75 = 480: a 360 x 480 image inside the 512 crop
    assert g['mean object area, matching-layer cells'] == pytest.approx(
        0.2 * 360 * 480 / 256)
    obj4 = 0.2 * 375 * 500 / 16
    assert g['mean object area, stride-4 cells'] == pytest.approx(obj4)
    assert g['IRN walk radius / object side'] == pytest.approx(5 /
                                                               math.sqrt(obj4))
    assert g['IRN training radius / object side'] == pytest.approx(
        10 / math.sqrt(obj4))
    assert g['IRN walk reach (radius x sqrt(steps)) / object side'] == \
        pytest.approx(5 * 16 / math.sqrt(obj4))
    assert g['crop / image long side'] == pytest.approx(512 / 500)


def test_toy_geometry_within_2x_where_the_configs_decide():
    """The toy configs keep VOC's ratios at the matching layer and in the
    walk (the image's object share is the data's, not the configs')."""
    voc = geometry(
        Config.fromfile(f'{REPO}/configs/comnet/comnet_r50_voc.py'),
        Config.fromfile(f'{REPO}/configs/irn/irn_r50_voc.py'),
        [(375, 500, [0.2])])
    # a toy image of the default mean size holding an object of the toy's
    # mean share (docs/toy_dataset.md)
    toy = geometry(
        Config.fromfile(f'{REPO}/configs/comnet/comnet_toy.py'),
        Config.fromfile(f'{REPO}/configs/irn/irn_toy.py'),
        [(256, 256, [0.085])])
    for key in ('feature points per image (crop)', 'k / points (%)',
                'inter-matching points per group',
                'IRN walk radius / object side',
                'IRN training radius / object side',
                'IRN walk reach (radius x sqrt(steps)) / object side',
                'crop / image long side'):
        assert 0.5 <= toy[key] / voc[key] <= 2, key
    assert toy['feature points per image (crop)'] >= 16 * 16
