import pytest
import torch

from comnet_mm.irn.random_walk import (dense_random_walk, random_walk,
                                       transition_t, walk_to_labels)
from comnet_mm.structures import path_affinities, search_paths


def test_offsets_and_paths():
    paths = dict(search_paths(5))
    assert len(paths) == 34  # IRN: 34 offsets, 68 neighbours with reverses
    for (dy, dx), path in paths.items():
        assert dy > 0 or (dy == 0 and dx > 0)
        assert dy * dy + dx * dx < 25
        assert (0, 0) in path and (dy, dx) in path
        assert (-dy, -dx) not in paths
    assert paths[(0, 3)] == ((0, 0), (0, 1), (0, 2), (0, 3))
    assert sorted(paths[(1, 1)]) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    # (2, 1): squared distance (2x - y)^2 / 5 < 1 for all six box pixels
    assert sorted(paths[(2, 1)]) == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0),
                                     (2, 1)]
    # (3, 2): |3x - 2y| < sqrt(13) keeps 8 of the 12 box pixels
    assert sorted(paths[(3, 2)]) == [(0, 0), (0, 1), (1, 0), (1, 1), (2, 1),
                                     (2, 2), (3, 1), (3, 2)]


def test_path_affinities_brute_force():
    torch.manual_seed(0)
    b = torch.rand(7, 9, dtype=torch.float64)
    aff = path_affinities(b, 5)
    for d, ((dy, dx), path) in enumerate(search_paths(5)):
        for y in range(7):
            for x in range(9):
                if 0 <= y + dy < 7 and 0 <= x + dx < 9:
                    worst = max(b[y + py, x + px].item() for py, px in path)
                    assert aff[d, y, x].item() == pytest.approx(1 - worst)
                else:
                    assert aff[d, y, x].item() == 0


def test_transition_is_column_stochastic():
    torch.manual_seed(1)
    b = torch.rand(6, 8, dtype=torch.float64)
    t_t = transition_t(b).to_dense()
    assert torch.allclose(t_t.sum(1), torch.ones(48, dtype=torch.float64))
    assert (t_t >= 0).all()
    nnz = (t_t > 0).sum(1)
    assert nnz.max() <= 69  # itself + at most 68 neighbours


@pytest.mark.parametrize('shape', [(5, 7), (12, 9), (16, 16)])
def test_sparse_walk_equals_dense_reference(shape):
    g = torch.Generator().manual_seed(sum(shape))
    b64 = torch.rand(*shape, generator=g, dtype=torch.float64) * 0.6
    b64[shape[0] // 2] = 0.95  # a strong boundary line
    cams64 = torch.rand(3, *shape, generator=g, dtype=torch.float64)
    ref64 = dense_random_walk(cams64, b64)
    out64 = random_walk(cams64, b64)
    scale = ref64.abs().max()
    assert ((out64 - ref64).abs().max() / scale).item() < 1e-9
    out32 = random_walk(cams64.float(), b64.float())
    ref32 = dense_random_walk(cams64.float(), b64.float())
    for res in (out32, ref32):
        assert ((res.double() - ref64).abs().max() / scale).item() < 1e-3


def test_boundary_stops_propagation():
    b = torch.zeros(10, 12, dtype=torch.float64)
    b[:, 6] = 1.0  # a wall: no path crosses it
    cams = torch.zeros(1, 10, 12, dtype=torch.float64)
    cams[0, 4, 2] = 1.0
    out = random_walk(cams, b)
    assert out[0, :, :6].sum() > 0.99  # mass stays on the left
    assert out[0, :, 7:].abs().max() < 1e-12
    assert out[0, :, :6].min() > 0  # and spreads over the whole region


def test_walk_to_labels_hand_case():
    walked = torch.zeros(2, 2, 2)
    walked[0, 0, 0] = 4.0  # class 3 strong at the top left
    walked[1, 1, 1] = 2.0  # class 0 weaker at the bottom right
    labels = walk_to_labels(walked, torch.tensor([3, 0]), (7, 6), 0.25)
    assert labels.shape == (7, 6)
    assert labels[0, 0] == 4 and labels[6, 5] == 1
    assert set(labels.unique().tolist()) <= {0, 1, 4}
    with pytest.raises(ValueError, match='differ in size'):
        random_walk(torch.zeros(1, 3, 3), torch.zeros(3, 4))
