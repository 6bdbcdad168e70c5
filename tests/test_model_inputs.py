"""Inference input equals training input, for every stage model.

Each stage's model gets the same image twice: once as training feeds it (the
config's train pipeline without its random transforms, collated, then the
model's ``data_preprocessor`` in training mode) and once as every inference
step makes it (:func:`comnet_mm.models.inputs.model_inputs`). A third,
independent path normalises the RGB pixels by hand from the config's mean
and std. The pseudo-mask step once fed the boundary network BGR images
(a hand-written normaliser read mmpretrain's channel flag on mmseg's
preprocessor); these tests fail on that.
"""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import MODELS, DefaultScope
from PIL import Image

from comnet_mm.cams.inference import multiscale_cams
from comnet_mm.models.inputs import model_inputs
from conftest import REPO

# The transforms of a train pipeline that do not draw random numbers and
# do not change the pixels' geometry.
KEEP = ('LoadImageFromFile', 'LoadAnnotations', 'PackInputs', 'PackSegInputs')
STAGES = ('configs/cam/cam_toy.py', 'configs/comnet/comnet_toy.py',
          'configs/irn/irn_toy.py', 'configs/cam/cam_r50_voc.py',
          'configs/irn/irn_r50_voc.py')


def _train_pipeline(cfg):
    ds = cfg.train_dataloader.dataset
    ds = ds.get('dataset', ds)  # the CAM stage wraps it in group pairs
    return [t for t in ds.pipeline if t['type'] in KEEP]


def _model(cfg):
    cfg.model.backbone.init_cfg = None  # no checkpoint needed: same weights
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
    return model.eval()


@pytest.fixture
def image_file(tmp_path):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)
    rgb[:, :20, 0] = 250  # a channel-order mix-up moves a lot of mass
    path = tmp_path / 'img.png'
    Image.fromarray(rgb).save(path)
    # a mask for LoadAnnotations
    Image.fromarray(np.zeros((40, 56), np.uint8)).save(tmp_path / 'seg.png')
    return str(path), rgb


@pytest.mark.parametrize('config', STAGES)
def test_inference_input_equals_training_input(config, image_file):
    path, rgb = image_file
    cfg = Config.fromfile(f'{REPO}/{config}')
    model = _model(cfg)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        pipeline = Compose(_train_pipeline(cfg))
    sample = pipeline(
        dict(
            img_path=path,
            seg_map_path=path[:-7] + 'seg.png',
            reduce_zero_label=False,
            seg_fields=[],
            gt_label=np.array([0])))
    batch = pseudo_collate([sample])
    trained = model.data_preprocessor(batch, True)['inputs']
    h, w = rgb.shape[:2]
    trained = trained[:, :, :h, :w]  # SegDataPreProcessor pads to the crop
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    inferred = model_inputs(model, [bgr])
    assert inferred.shape == (1, 3, h, w)
    torch.testing.assert_close(inferred, trained, rtol=0, atol=0)
    # an independent path: RGB pixels normalised by hand
    pre = cfg.model.data_preprocessor
    mean = torch.tensor(pre['mean'])[:, None, None]
    std = torch.tensor(pre['std'])[:, None, None]
    by_hand = (torch.from_numpy(rgb).permute(2, 0, 1).float() - mean) / std
    torch.testing.assert_close(inferred[0], by_hand, rtol=1e-6, atol=1e-5)


def test_cam_inference_uses_the_preprocessor(image_file):
    """multiscale_cams at one scale without flip equals the head's maps on
    the training-path input (ReLU'd, normalised)."""
    path, rgb = image_file
    cfg = Config.fromfile(f'{REPO}/configs/cam/cam_toy.py')
    model = _model(cfg)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    out = multiscale_cams(model, bgr, [0, 2], scales=(1.0, ), flip=False)
    x = model_inputs(model, [bgr])
    with torch.no_grad():
        maps = torch.relu(model.head.class_maps(model.extract_feat(x)))[0]
    maps = maps[[0, 2]][None]
    low = torch.nn.functional.interpolate(
        maps, out['cam'].shape[1:], mode='bilinear', align_corners=False)[0]
    low = low / (low.flatten(1).max(1)[0][:, None, None] + 1e-5)
    np.testing.assert_allclose(out['cam'], low.numpy(), rtol=1e-5, atol=1e-6)
