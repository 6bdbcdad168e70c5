"""The pipeline's figures (PNG), drawn with mmengine's ``Visualizer`` (CAM
heat maps, circles, masks, labels) and mmseg's ``SegLocalVisualizer``
(label maps):

- ``cam_overlays.png``: image, ground truth, then each pipeline's CAMs
  (max over the image's classes of the high-resolution CAM);
- ``intra_partners.png`` (paper Fig. 4): a chosen point (red) of an object
  and its top-k intra-matching partners (green) on the feature grid; the
  title counts the partners that fall on the point's class;
- ``inter_masks.png`` (paper Fig. 5c): for pairs sharing a class, the
  inter-matching mask M* > 0 of each image beside its ground truth, titled
  with its IoU with the shared classes' objects;
- ``pseudo_masks.png``: ground truth, then each pipeline's pseudo mask;
- ``boundary_maps.png``: image, ground truth, then each pipeline's IRN
  boundary map, titled with its mean on the mask's edges and off them;
- ``predictions.png``: val image, ground truth, each pipeline's DeepLabV3
  prediction.

Tiling panels into one grid is the only thing written by hand here.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmengine.visualization import Visualizer
from mmseg.apis import inference_model, init_model
from mmseg.datasets import PascalVOCDataset
from mmseg.structures import SegDataSample
from mmseg.visualization import SegLocalVisualizer

from comnet_mm.cams.matching_diagnostics import co_occurrent_pairs, find_neck
from comnet_mm.datasets.seg_tag_dataset import read_label_map
from comnet_mm.engine.tool_utils import build_and_load
from comnet_mm.irn.diagnostics import edges_at_stride4
from comnet_mm.models.inputs import model_inputs
from comnet_mm.models.necks.inter_matching import co_occurrent_mask
from comnet_mm.pipeline import last_checkpoint
from comnet_mm.structures.cam_maps import load_cams
from comnet_mm.utils.per_image import atomic_write, build_split

PANEL = 160  # panel side in pixels


def _visualizer(name: str) -> Visualizer:
    return Visualizer(name=name, save_dir=None)


def fit(img: np.ndarray, side: int = PANEL) -> np.ndarray:
    """Resize (keeping the ratio, nearest for label maps) and pad to
    side x side."""
    h, w = img.shape[:2]
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = 'nearest' if img.ndim == 2 else 'bilinear'
    out = mmcv.imresize(img, size, interpolation=interp)
    pad_shape = (side, side) if img.ndim == 2 else (side, side, img.shape[2])
    return mmcv.impad(out, shape=pad_shape, pad_val=0)


def titled(img: np.ndarray, title: str) -> np.ndarray:
    """An RGB panel with a title in its top-left corner."""
    vis = _visualizer('title')
    vis.set_image(fit(img))
    vis.draw_texts(
        title,
        np.array([2, 2]),
        font_sizes=7,
        colors='white',
        bboxes=dict(facecolor='black', alpha=0.6, pad=1, edgecolor='none'))
    return vis.get_image()


def grid(rows: Sequence[Sequence[np.ndarray]], gap: int = 4) -> np.ndarray:
    """Tile equally sized RGB panels; short rows are padded with white."""
    width = max(len(r) for r in rows)
    h, w = rows[0][0].shape[:2]
    out = np.full((len(rows) * (h + gap) - gap, width * (w + gap) - gap, 3),
                  255, np.uint8)
    for i, row in enumerate(rows):
        for j, panel in enumerate(row):
            out[i * (h + gap):i * (h + gap) + h,
                j * (w + gap):j * (w + gap) + w] = panel
    return out


def save_png(path: str, rgb: np.ndarray):
    atomic_write(path, lambda t: mmcv.imwrite(rgb[..., ::-1], t), '.png')


def palette_for(n: int) -> List[List[int]]:
    voc = PascalVOCDataset.METAINFO['palette']
    if n <= len(voc):
        return [list(c) for c in voc[:n]]
    rng = np.random.RandomState(0)
    return [list(c) for c in voc] + rng.randint(0, 255,
                                                (n - len(voc), 3)).tolist()


def label_panel(img: np.ndarray, label: np.ndarray, classes, title: str):
    """A label map (0 bg, c + 1 class c, 255 ignore) over its image."""
    names = ['background'] + list(classes)
    name = 'comnet_labels'
    vis = (
        SegLocalVisualizer.get_instance(name)
        if SegLocalVisualizer.check_instance_created(name) else
        SegLocalVisualizer.get_instance(name, alpha=0.6))
    vis.dataset_meta = dict(classes=names, palette=palette_for(len(names)))
    sample = SegDataSample(
        pred_sem_seg=PixelData(
            data=torch.from_numpy(label.astype(np.int64))[None]))
    vis.add_datasample('labels', img, sample, draw_gt=False, with_labels=False)
    return titled(vis.get_image(), title)


def cam_panel(img: np.ndarray, cams: dict, title: str) -> np.ndarray:
    """Max over the image's classes of the high-resolution CAM as a heat
    map over the image."""
    high = torch.from_numpy(cams['high_res']).float()
    heat = (
        high.max(0, keepdim=True)[0] if len(high) else torch.zeros(
            1, *img.shape[:2]))
    drawn = Visualizer.draw_featmap(
        heat, img, channel_reduction='select_max', alpha=0.5)
    return titled(drawn, title)


def pick_images(dataset, n: int, min_classes: int = 1) -> List[dict]:
    """The first ``n`` images (split order) with at least ``min_classes``
    classes in their masks."""
    out = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        if len(info.get('gt_label', [])) >= min_classes:
            out.append(info)
        if len(out) == n:
            break
    return out


def read_rgb(path: str) -> np.ndarray:
    img = mmcv.imread(path, channel_order='rgb')
    if img is None:
        raise ValueError(f'image {path} cannot be read')
    return img


def _stage_cfg(run_dir: str, stage: str) -> Config:
    path = osp.join(run_dir, stage, 'config.py')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found: run the pipeline first')
    return Config.fromfile(path)


def load_cam_model(run_dir: str):
    cfg = _stage_cfg(run_dir, 'cam')
    return build_and_load(cfg, last_checkpoint(osp.join(run_dir, 'cam')))


def neck_types(cfg: Config) -> List[str]:
    """The ``type`` of each neck a CAM config builds (one dict or a list)."""
    necks = cfg.model.get('neck') or []
    return [n['type'] for n in ([necks] if isinstance(necks, dict) else necks)]


def model_input(model, img_rgb: np.ndarray, size: Optional[int] = None):
    """(1, 3, H, W) normalised input for ``model`` from an RGB image,
    optionally resized to size x size."""
    bgr = np.ascontiguousarray(img_rgb[..., ::-1])
    if size is not None:
        bgr = mmcv.imresize(bgr, (size, size))
    return model_inputs(model, [bgr])


def partner_points(model, img_rgb: np.ndarray, gt: np.ndarray, size: int):
    """Run the CAM model's backbone + intra-matching on ``img_rgb`` (resized
    to size x size) and pick the point nearest the centroid of the largest
    object. Returns (point (y, x), partners [(y, x)], grid (h, w), same):
    feature-grid coordinates and the number of partners on the point's
    class."""
    neck = find_neck(model, 'IntraMatching')
    feats = model.backbone(model_input(model, img_rgb, size))
    x = feats[neck.in_index]
    neck.match(x)
    h, w = x.shape[2:]
    small = mmcv.imresize(gt.astype(np.uint8), (w, h), interpolation='nearest')
    fg = [c for c in np.unique(small) if c not in (0, 255)]
    if not fg:
        cls = 0
        ys, xs = np.nonzero(small == 0)
    else:
        cls = max(fg, key=lambda c: (small == c).sum())
        ys, xs = np.nonzero(small == cls)
    cy, cx = ys.mean(), xs.mean()
    k = np.argmin((ys - cy)**2 + (xs - cx)**2)
    y, x0 = int(ys[k]), int(xs[k])
    idx = neck.last_partners[0, y * w + x0].tolist()
    partners = [(i // w, i % w) for i in idx]
    same = sum(int(small[py, px] == cls) for py, px in partners)
    return (y, x0), partners, (h, w), same


def intra_panel(img_rgb, point, partners, grid_hw, title):
    h, w = grid_hw
    img = mmcv.imresize(img_rgb, (PANEL, PANEL))
    sy, sx = PANEL / h, PANEL / w
    vis = _visualizer('intra')
    vis.set_image(img)
    centres = np.array([[(px + 0.5) * sx, (py + 0.5) * sy]
                        for py, px in partners])
    vis.draw_circles(
        centres,
        np.full(len(centres), 4.0),
        edge_colors='lime',
        face_colors='lime',
        alpha=0.9)
    vis.draw_circles(
        np.array([[(point[1] + 0.5) * sx, (point[0] + 0.5) * sy]]),
        np.array([5.0]),
        edge_colors='red',
        face_colors='red',
        alpha=1.0)
    return titled(vis.get_image(), title)


def inter_masks(model, imgs: Sequence[np.ndarray], size: int) -> np.ndarray:
    """(N, size, size) boolean M* > 0 of a group of images (each resized
    to size x size), from the CAM model's backbone features; all False if
    the group has no partition."""
    neck = find_neck(model, 'InterMatching')
    inputs = torch.cat([model_input(model, im, size) for im in imgs])
    feats = model.backbone(inputs)[neck.in_index]
    mask = co_occurrent_mask(feats, neck.solver, orientation=neck.orientation)
    if mask is None:
        return np.zeros((len(imgs), size, size), bool)
    up = F.interpolate(
        mask[:, None].float(), size=(size, size), mode='nearest')[:, 0]
    return (up > 0).numpy()


def load_irn_model(run_dir: str):
    cfg = _stage_cfg(run_dir, 'irn')
    return build_and_load(cfg, last_checkpoint(osp.join(run_dir, 'irn')))


@torch.no_grad()
def boundary_panel(model, img_rgb: np.ndarray, gt: np.ndarray,
                   title: str) -> np.ndarray:
    """The IRN boundary map of an image as a heat map over it, titled
    ``title: <mean on the mask's edges> / <mean off them>`` (the
    diagnostics' rule)."""
    bgr = np.ascontiguousarray(img_rgb[..., ::-1])
    boundary = model.boundary_map(model_inputs(model, [bgr])).cpu()
    edges = edges_at_stride4(gt, boundary.shape)
    b = boundary.numpy()
    on, off = b[edges].mean() if edges.any() else 0, b[~edges].mean()
    h, w = img_rgb.shape[:2]
    up = F.interpolate(
        boundary[None, None], scale_factor=4, mode='bilinear')[0, :, :h, :w]
    drawn = Visualizer.draw_featmap(
        up, img_rgb, channel_reduction='select_max', alpha=0.6)
    return titled(drawn, f'{title}: {on:.2f} / {off:.2f}')


def boundary_rows(runs: Dict[str, str], infos, classes) -> List[list]:
    """Image, ground truth, then each pipeline's boundary map."""
    models = {name: load_irn_model(run).cpu() for name, run in runs.items()}
    rows = []
    for info in infos:
        img = read_rgb(info['img_path'])
        gt = read_label_map(info['seg_map_path'])
        row = [
            titled(img, info['img_id']),
            label_panel(img, gt, classes, 'ground truth')
        ]
        row += [boundary_panel(m, img, gt, name) for name, m in models.items()]
        rows.append(row)
    return rows


@torch.no_grad()
def draw_pipeline_figures(runs: Dict[str, str],
                          out_dir: str,
                          n: int = 4) -> List[str]:
    """Draw the figures of the module docstring for pipelines
    ``{name: run_dir}`` (the same data) into ``out_dir``; returns the
    written paths."""
    os.makedirs(out_dir, exist_ok=True)
    first = next(iter(runs.values()))
    cam_cfg = _stage_cfg(first, 'cam')
    init_default_scope(cam_cfg.get('default_scope', 'mmpretrain'))
    train = build_split(
        cam_cfg.cam_cfg.get('eval_dataset') or cam_cfg.cam_cfg.dataset)
    classes = train.metainfo['classes']
    infos = pick_images(train, n)
    written = []

    def out(name, rows):
        path = osp.join(out_dir, name)
        save_png(path, grid(rows))
        written.append(path)

    # CAMs and pseudo masks, pipelines side by side
    cam_rows, pseudo_rows = [], []
    for info in infos:
        img = read_rgb(info['img_path'])
        gt = read_label_map(info['seg_map_path'])
        tags = ', '.join(classes[c] for c in info['gt_label'])
        cam_row = [
            titled(img, info['img_id']),
            label_panel(img, gt, classes, 'GT: ' + tags)
        ]
        pseudo_row = [label_panel(img, gt, classes, 'ground truth')]
        for name, run in runs.items():
            cams = load_cams(
                osp.join(run, 'cam', 'cams', info['img_id'] + '.npz'))
            cam_row.append(cam_panel(img, cams, f'CAM {name}'))
            mask = read_label_map(
                osp.join(run, 'irn', 'pseudo_masks', info['img_id'] + '.png'))
            pseudo_row.append(
                label_panel(img, mask, classes, f'pseudo {name}'))
        cam_rows.append(cam_row)
        pseudo_rows.append(pseudo_row)
    out('cam_overlays.png', cam_rows)
    out('pseudo_masks.png', pseudo_rows)
    out('boundary_maps.png', boundary_rows(runs, infos, classes))

    # the matching modules of the pipelines that have them
    size = cam_cfg.get('crop_size', 128)
    if not isinstance(size, int):
        size = 128
    intra_rows, inter_rows = [], []
    pairs = co_occurrent_pairs(pick_images(train, 8 * n), n)
    for name, run in runs.items():
        types = neck_types(_stage_cfg(run, 'cam'))
        if not {'IntraMatching', 'InterMatching'} & set(types):
            continue
        model = load_cam_model(run).cpu()
        if 'IntraMatching' in types:
            row = []
            for info in infos:
                img = read_rgb(info['img_path'])
                gt = read_label_map(info['seg_map_path'])
                point, partners, hw, same = partner_points(
                    model, img, gt, size)
                row.append(
                    intra_panel(img, point, partners, hw,
                                f'{name}: {same}/{len(partners)} on class'))
            intra_rows.append(row)
        if 'InterMatching' in types:
            for a, b, shared in pairs:
                imgs = [read_rgb(a['img_path']), read_rgb(b['img_path'])]
                masks = inter_masks(model, imgs, size)
                row = []
                for info, img, m in zip((a, b), imgs, masks):
                    img = mmcv.imresize(img, (size, size))
                    gt = mmcv.imresize(
                        read_label_map(info['seg_map_path']), (size, size),
                        interpolation='nearest')
                    row.append(
                        label_panel(
                            img, gt, classes,
                            'GT, shared: ' + ', '.join(classes[c]
                                                       for c in shared)))
                    vis = _visualizer('inter')
                    vis.set_image(img)
                    if m.any():
                        vis.draw_binary_masks(m, colors='red', alphas=0.5)
                    obj = np.isin(gt, [c + 1 for c in shared])
                    iou = (obj & m).sum() / max((obj | m).sum(), 1)
                    row.append(
                        titled(vis.get_image(),
                               f'{name}: M* > 0, IoU {iou:.2f}'))
                inter_rows.append(row)
    if intra_rows:
        out('intra_partners.png', intra_rows)
    if inter_rows:
        out('inter_masks.png', inter_rows)

    # final predictions on val
    written.append(
        draw_predictions(runs, osp.join(out_dir, 'predictions.png'), n))
    return written


def draw_predictions(runs: Dict[str, str], path: str, n: int) -> str:
    """Val images, ground truth and each pipeline's DeepLabV3 prediction."""
    init_default_scope('mmseg')
    first = next(iter(runs.values()))
    seg_cfg = _stage_cfg(first, 'seg')
    val = build_split(seg_cfg.test_dataloader.dataset)
    classes = val.metainfo['classes'][1:]
    infos = [val.get_data_info(i) for i in range(min(n, len(val)))]
    models = {}
    for name, run in runs.items():
        cfg = _stage_cfg(run, 'seg')
        models[name] = init_model(
            cfg, last_checkpoint(osp.join(run, 'seg')), device='cpu')
    rows = []
    for info in infos:
        img = read_rgb(info['img_path'])
        gt = read_label_map(info['seg_map_path'])
        row = [
            titled(img, osp.basename(info['img_path'])),
            label_panel(img, gt, classes, 'ground truth')
        ]
        for name, model in models.items():
            pred = inference_model(model, info['img_path'])
            label = pred.pred_sem_seg.data[0].cpu().numpy()
            row.append(label_panel(img, label, classes, f'DeepLabV3 {name}'))
        rows.append(row)
    save_png(path, grid(rows))
    return path
