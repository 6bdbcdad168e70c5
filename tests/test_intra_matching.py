import pytest
import torch

from comnet_mm.models.necks.intra_matching import (IntraMatching,
                                                   build_point_mlp,
                                                   topk_partners)


def naive(x, mlp, k):
    """Gather every point's k partners, run the MLP on all copies, max."""
    b, c, h, w = x.shape
    p = h * w
    pts = x.flatten(2)
    g = pts.transpose(1, 2) @ pts
    eye = torch.eye(p, dtype=torch.bool)
    g = g.masked_fill(eye, float('-inf'))
    idx = g.topk(k, dim=-1).indices  # (B, P, k)
    gathered = torch.stack([pts[i][:, idx[i]] for i in range(b)])  # B,c,P,k
    out = mlp(gathered)  # 1x1 convs over a (P, k) "image"
    return out.max(-1).values.view(b, -1, h, w)


@pytest.mark.parametrize('norm, train', [(None, True), ('BN', False)])
def test_equals_naive_reference_output_and_gradients(norm, train):
    torch.manual_seed(0)
    neck = IntraMatching(in_channels=12, mlp_channels=[16, 10], k=5,
                         norm=norm, chunk=7).double()
    ref_mlp = build_point_mlp(12, [16, 10], norm).double()
    if norm == 'BN':  # non-trivial running statistics
        neck.mlp[1].running_mean.uniform_(-1, 1)
        neck.mlp[1].running_var.uniform_(0.5, 2)
    ref_mlp.load_state_dict(neck.mlp.state_dict())
    neck.train(train)
    ref_mlp.train(train)
    x = torch.randn(3, 12, 5, 6, dtype=torch.float64)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    (out, ) = neck((x1, ))
    ref = naive(x2, ref_mlp, 5)
    assert out.shape == (3, 10, 5, 6)
    assert torch.allclose(out, ref, atol=1e-12)
    weight = torch.randn_like(out)
    (out * weight).sum().backward()
    (ref * weight).sum().backward()
    assert torch.allclose(x1.grad, x2.grad, atol=1e-12)
    for (n, p), q in zip(neck.mlp.named_parameters(), ref_mlp.parameters()):
        assert torch.allclose(p.grad, q.grad, atol=1e-12), n


def test_topk_never_self_and_matches_brute_force():
    torch.manual_seed(1)
    x = torch.randn(2, 4, 20, dtype=torch.float64)
    idx = topk_partners(x, 6)
    for b in range(2):
        g = x[b].t() @ x[b]
        for i in range(20):
            assert i not in idx[b, i].tolist()
            order = [j for j in g[i].argsort(descending=True).tolist()
                     if j != i][:6]
            assert sorted(idx[b, i].tolist()) == sorted(order)


def test_self_excluded_even_when_self_is_most_similar():
    # a point whose own similarity dominates (large norm) still picks others
    x = torch.tensor([[[10.0, 1.0, 0.5, 0.2]]])
    idx = topk_partners(x, 2)
    assert idx[0, 0].tolist() == [1, 2]


def test_k_too_large_is_a_clear_error():
    neck = IntraMatching(in_channels=4, k=9)
    with pytest.raises(ValueError, match='k=9, the feature map has 9 points'):
        neck((torch.randn(1, 4, 3, 3), ))
    with pytest.raises(ValueError, match='norm must be one of'):
        IntraMatching(in_channels=4, norm='LN')


def test_inference_switch_and_partners_kept():
    neck = IntraMatching(in_channels=4, k=2).eval()
    x = torch.randn(1, 4, 3, 3)
    out = neck((x, ))[0]
    assert out.shape == x.shape and neck.last_partners.shape == (1, 9, 2)
    neck.apply_at_inference = False
    assert neck((x, ))[0] is x
