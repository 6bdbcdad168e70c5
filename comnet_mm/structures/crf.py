"""Dense CRF (Kraehenbuehl & Koltun 2011) through pydensecrf, IRN's settings
as defaults. Used for the seeds and, optionally, on final predictions."""
import numpy as np

#: IRN's pairwise terms (``imutils.crf_inference_label``).
IRN_CRF = dict(
    gauss_sxy=3, gauss_compat=3, bilat_sxy=50, bilat_srgb=5, bilat_compat=10)


def _crf(img: np.ndarray, unary: np.ndarray, n_labels: int, iters: int,
         gauss_sxy, gauss_compat, bilat_sxy, bilat_srgb, bilat_compat):
    import pydensecrf.densecrf as dcrf
    h, w = img.shape[:2]
    d = dcrf.DenseCRF2D(w, h, n_labels)
    d.setUnaryEnergy(np.ascontiguousarray(unary, dtype=np.float32))
    d.addPairwiseGaussian(sxy=gauss_sxy, compat=gauss_compat)
    d.addPairwiseBilateral(
        sxy=bilat_sxy,
        srgb=bilat_srgb,
        rgbim=np.ascontiguousarray(img, dtype=np.uint8),
        compat=bilat_compat)
    return np.array(d.inference(iters)).reshape(n_labels, h, w)


def crf_labels(img: np.ndarray,
               labels: np.ndarray,
               n_labels: int,
               iters: int = 10,
               gt_prob: float = 0.7,
               **pairwise) -> np.ndarray:
    """Refine a label map (0..n_labels-1) with a dense CRF; IRN's seeds.

    Args:
        img: (H, W, 3) uint8 RGB image.
        labels: (H, W) int labels in 0..n_labels-1.
        n_labels: number of labels.
        iters: mean-field iterations (IRN: 10).
        gt_prob: confidence of the input labels (IRN: 0.7).
        **pairwise: overrides of :data:`IRN_CRF`.

    Returns:
        (H, W) int64 refined labels.
    """
    from pydensecrf.utils import unary_from_labels
    if labels.shape != img.shape[:2]:
        raise ValueError(f'labels {labels.shape} and image {img.shape[:2]} '
                         'differ in size')
    params = dict(IRN_CRF, **pairwise)
    unary = unary_from_labels(
        labels.astype(np.int64), n_labels, gt_prob=gt_prob, zero_unsure=False)
    q = _crf(img, unary, n_labels, iters, **params)
    return q.argmax(0)


def crf_probs(img: np.ndarray,
              probs: np.ndarray,
              iters: int = 10,
              **pairwise) -> np.ndarray:
    """Refine class probabilities (L, H, W) with a dense CRF (e.g. a
    segmenter's softmax output); returns the (L, H, W) marginals."""
    from pydensecrf.utils import unary_from_softmax
    if probs.shape[1:] != img.shape[:2]:
        raise ValueError(f'probabilities {probs.shape} and image '
                         f'{img.shape[:2]} differ in size')
    params = dict(IRN_CRF, **pairwise)
    unary = unary_from_softmax(np.clip(probs, 1e-8, 1).astype(np.float32))
    return _crf(img, unary, probs.shape[0], iters, **params)
