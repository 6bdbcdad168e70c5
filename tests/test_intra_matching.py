import pytest
import torch

from comnet_mm.models.necks.intra_matching import (IntraMatching,
                                                   build_point_mlp,
                                                   topk_partners)


def similarity(pts, metric):
    """(B, c, P) -> (B, P, P) brute-force similarity, larger = closer."""
    a = pts.transpose(1, 2)
    if metric == 'l2':
        return -torch.cdist(a, a)**2
    if metric == 'cosine':
        a = a / a.norm(dim=-1, keepdim=True)
    return a @ a.transpose(1, 2)


def naive(x, mlp, k, metric='l2'):
    """Gather every point's k partners, run the MLP on all copies, max."""
    b, c, h, w = x.shape
    p = h * w
    pts = x.flatten(2)
    g = similarity(pts, metric)
    eye = torch.eye(p, dtype=torch.bool)
    g = g.masked_fill(eye, float('-inf'))
    idx = g.topk(k, dim=-1).indices  # (B, P, k)
    gathered = torch.stack([pts[i][:, idx[i]] for i in range(b)])  # B,c,P,k
    out = mlp(gathered)  # 1x1 convs over a (P, k) "image"
    return out.max(-1).values.view(b, -1, h, w)


@pytest.mark.parametrize('norm, train, metric', [(None, True, 'l2'),
                                                 ('BN', False, 'l2'),
                                                 (None, True, 'dot')])
def test_equals_naive_reference_output_and_gradients(norm, train, metric):
    torch.manual_seed(0)
    neck = IntraMatching(
        in_channels=12,
        mlp_channels=[16, 10],
        k=5,
        norm=norm,
        chunk=7,
        metric=metric).double()
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
    ref = naive(x2, ref_mlp, 5, metric)
    assert out.shape == (3, 10, 5, 6)
    assert torch.allclose(out, ref, atol=1e-12)
    weight = torch.randn_like(out)
    (out * weight).sum().backward()
    (ref * weight).sum().backward()
    assert torch.allclose(x1.grad, x2.grad, atol=1e-12)
    for (n, p), q in zip(neck.mlp.named_parameters(), ref_mlp.parameters()):
        assert torch.allclose(p.grad, q.grad, atol=1e-12), n


@pytest.mark.parametrize('metric', ['l2', 'dot', 'cosine'])
def test_topk_never_self_and_matches_brute_force(metric):
    torch.manual_seed(1)
    x = torch.randn(2, 4, 20, dtype=torch.float64)
    idx = topk_partners(x, 6, metric)
    g = similarity(x, metric)
    for b in range(2):
        for i in range(20):
            assert i not in idx[b, i].tolist()
            order = [
                j for j in g[b, i].argsort(descending=True).tolist() if j != i
            ][:6]
            assert sorted(idx[b, i].tolist()) == sorted(order)


def test_metrics_differ_where_the_paper_is_ambiguous():
    # 1-D points: 1.0's nearest neighbour in l2 is 1.1; its largest dot
    # product is with the big "hub" 10.0 (what Eq. 6 literally ranks by)
    x = torch.tensor([[[1.0, 1.1, 10.0, -3.0]]])
    assert topk_partners(x, 1, 'l2')[0, 0].tolist() == [1]
    assert topk_partners(x, 1, 'dot')[0, 0].tolist() == [2]
    # with 'dot' every positive point picks the hub
    assert topk_partners(x, 1, 'dot')[0, :2, 0].tolist() == [2, 2]


def test_k_too_large_is_a_clear_error():
    neck = IntraMatching(in_channels=4, k=9)
    with pytest.raises(ValueError, match='k=9, the feature map has 9 points'):
        neck((torch.randn(1, 4, 3, 3), ))
    with pytest.raises(ValueError, match='norm must be one of'):
        IntraMatching(in_channels=4, norm='LN')
    with pytest.raises(ValueError, match='metric must be one of'):
        IntraMatching(in_channels=4, metric='manhattan')


def test_inference_switch_and_partners_kept():
    neck = IntraMatching(in_channels=4, k=2).eval()
    x = torch.randn(1, 4, 3, 3)
    out = neck((x, ))[0]
    assert out.shape == x.shape and neck.last_partners.shape == (1, 9, 2)
    neck.apply_at_inference = False
    assert neck((x, ))[0] is x
