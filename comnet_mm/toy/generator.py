"""A synthetic dataset in the exact VOC 2012 layout that has VOC's WSSS
problem.

VOC, COCO and ImageNet weights cannot be downloaded where this project is
developed and tested, so every stage of the pipeline runs on data made here.
The data is built to reproduce what COMNet is about, not to be easy:

* Each class is an object made of a large **body** and a small **part**
  (about a tenth of the object). The part has a colour and a pattern that
  belong
  to this class alone; the body's colour and stripe texture come from a
  *family* shared by two classes (class ``c`` belongs to family ``c % F``). A
  classifier can name the class from the part, but the body only narrows it to
  a family, so a plain CAM tends to light the part and miss the body.
* Classes co-occur with uneven frequencies: class frequencies fall off with the
  class index, and each class has a preferred companion (like person/horse in
  VOC) that is drawn with it more often than chance.
* Backgrounds are cluttered: a colour gradient, noise, and distractor blobs and
  stripes drawn in the *body* colours, so body colour alone never means
  "object".

Layout written under ``root`` (names as in VOC 2012 + SBD aug)::

    JPEGImages/<id>.jpg
    SegmentationClass/<id>.png      palette PNG, train + val; 255 on a 1-pixel
                                    band at object borders, as in VOC
    SegmentationClassAug/<id>.png   palette PNG, train_aug + val; no border
                                    band, as in the SBD conversion
    ImageSets/Segmentation/{train_aug,train,val}.txt
    cls_labels.txt                  "<id> <c> <c> ..." foreground 0..C-1
    classes.txt                     one class name a line (background excluded)
    stats.json                      parameters and statistics (see ``stats``)

Everything is a deterministic function of the parameters and the seed.
"""
import json
import os
import os.path as osp
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
from PIL import Image

CLASS_NAMES = ('alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta',
               'theta', 'iota', 'kappa')

# Distinctive part colours (one per class) and body families (base colour,
# stripe period in pixels, stripe angle in degrees).
_PART_COLOURS = np.array([(230, 30, 30), (30, 200, 40), (40, 60, 230),
                          (240, 220, 20), (220, 30, 220), (20, 220, 220),
                          (250, 140, 0), (130, 0, 250), (255, 255, 255),
                          (0, 0, 0)],
                         dtype=np.float32)
_FAMILIES = [((150, 110, 80), 6.0, 30.0), ((120, 125, 135), 5.0, 120.0),
             ((95, 130, 90), 7.0, 75.0), ((160, 140, 110), 4.0, 160.0),
             ((110, 95, 125), 8.0, 10.0)]


@dataclass
class ToyVOCConfig:
    """Parameters of the toy dataset.

    Args:
        num_classes: foreground classes C (2..10); background is label 0.
        num_train_aug: images in ``train_aug`` (the CAM training split).
        num_train: the first ``num_train`` images of ``train_aug`` form
            ``train``, the split CAMs are evaluated on (VOC: 1,464 of 10,582).
        num_val: images in ``val`` (disjoint from ``train_aug``).
        min_size, max_size: image height and width are drawn in this range,
            in steps of ``size_step``.
        size_step: granularity of image sizes (32: 25 distinct shapes, so
            CPU kernels warmed up for one size serve many images). The
            default 192..320 gives the toy VOC's geometry at the matching
            layer and in IRN (docs/benchmark.md).
        max_objects: objects per image are drawn from 1..max_objects.
        companion_prob: probability that a further object is the preferred
            companion of the first object's class.
        seed: the seed everything is drawn from.
    """
    num_classes: int = 6
    num_train_aug: int = 480
    num_train: int = 160
    num_val: int = 120
    min_size: int = 192
    max_size: int = 320
    size_step: int = 32
    max_objects: int = 3
    companion_prob: float = 0.6
    seed: int = 0
    class_freq_decay: float = 0.8
    names: Tuple[str, ...] = field(default=())

    def __post_init__(self):
        if not 2 <= self.num_classes <= len(CLASS_NAMES):
            raise ValueError(f'num_classes must be in 2..{len(CLASS_NAMES)}, '
                             f'got {self.num_classes}')
        if not 0 < self.num_train <= self.num_train_aug:
            raise ValueError(f'num_train ({self.num_train}) must be in '
                             f'1..num_train_aug ({self.num_train_aug})')
        if self.num_val < 1:
            raise ValueError(f'num_val must be >= 1, got {self.num_val}')
        if not 32 <= self.min_size <= self.max_size:
            raise ValueError('need 32 <= min_size <= max_size, got '
                             f'{self.min_size}, {self.max_size}')
        if self.size_step < 1 or self.min_size % self.size_step or \
                self.max_size % self.size_step:
            raise ValueError(
                f'min_size and max_size ({self.min_size}, '
                f'{self.max_size}) must be multiples of size_step '
                f'({self.size_step})')
        if self.max_objects < 1:
            raise ValueError(f'max_objects must be >= 1, got '
                             f'{self.max_objects}')
        self.names = tuple(CLASS_NAMES[:self.num_classes])

    @property
    def num_families(self) -> int:
        return min(len(_FAMILIES), max(1, self.num_classes // 2))

    def family(self, c: int) -> int:
        return c % self.num_families

    def class_freqs(self) -> np.ndarray:
        w = self.class_freq_decay**np.arange(self.num_classes)
        return w / w.sum()

    def companion(self, c: int) -> int:
        """The class that co-occurs with ``c`` more often than chance."""
        return c + 1 if c % 2 == 0 and c + 1 < self.num_classes else c - 1 \
            if c % 2 == 1 else (c + 1) % self.num_classes


def voc_palette() -> np.ndarray:
    """The 256-entry PASCAL VOC colour map (uint8, 256 x 3)."""
    palette = np.zeros((256, 3), dtype=np.uint8)
    for i in range(256):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette[i] = (r, g, b)
    return palette


def _stripes(h, w, period, angle, rng):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = np.deg2rad(angle + rng.uniform(-10, 10))
    phase = rng.uniform(0, 2 * np.pi)
    return np.sin((xx * np.cos(t) + yy * np.sin(t)) * 2 * np.pi / period +
                  phase)


def _background(h, w, cfg: ToyVOCConfig, rng) -> np.ndarray:
    """Gradient + noise + distractors in body colours (float32 H x W x 3)."""
    c0, c1 = rng.uniform(40, 200, size=(2, 3))
    t = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    if rng.random() < 0.5:
        t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    img = c0 * (1 - t) + c1 * t + np.zeros((h, w, 3), np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(rng.integers(5, 11)):
        base, period, angle = _FAMILIES[rng.integers(cfg.num_families)]
        colour = np.array(base, np.float32) + rng.normal(0, 15, 3)
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        if rng.random() < 0.5:
            r = rng.uniform(0.04, 0.12) * min(h, w)
            region = (yy - cy)**2 + (xx - cx)**2 < r * r
        else:
            hh, hw = rng.uniform(0.02, 0.06) * h, rng.uniform(0.1, 0.3) * w
            region = (abs(yy - cy) < hh) & (abs(xx - cx) < hw)
        texture = 25 * _stripes(h, w, period, angle, rng)[..., None]
        img[region] = (colour + texture)[region]
    img += rng.normal(0, 12, size=img.shape)
    return img


def class_look(c: int, cfg: ToyVOCConfig) -> Tuple[np.ndarray, float, int]:
    """The appearance of toy class ``c``: part colour, ring number (the
    part's rings have ``0.9 * ring`` radians per pixel) and body family."""
    return _PART_COLOURS[c], c + 2, cfg.family(c)


def _draw_object(img,
                 label,
                 c,
                 cfg: ToyVOCConfig,
                 rng,
                 look=None,
                 scale: float = 1.0):
    """Paint one object of class ``c`` (body + part) into ``img``/``label``.

    ``look`` (part colour, ring number, family) defaults to
    :func:`class_look`; ``scale`` multiplies the body's size.

    Returns:
        tuple: the object mask and the part mask (bool H x W each).
    """
    part_colour, ring_k, family = look or class_look(c, cfg)
    h, w = label.shape
    s = min(h, w) * scale
    a = rng.uniform(0.18, 0.30) * s  # body semi-axes
    b = rng.uniform(0.10, 0.16) * s
    theta = rng.uniform(0, np.pi)
    cy = rng.uniform(0.25 * h, 0.75 * h)
    cx = rng.uniform(0.25 * w, 0.75 * w)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u = (xx - cx) * np.cos(theta) + (yy - cy) * np.sin(theta)
    v = -(xx - cx) * np.sin(theta) + (yy - cy) * np.cos(theta)
    body = (u / a)**2 + (v / b)**2 <= 1
    # The part sits on one end of the major axis, half outside the body.
    pr = 0.45 * b
    end = a * (1 if rng.random() < 0.5 else -1)
    py = cy + end * np.sin(theta)
    px = cx + end * np.cos(theta)
    part = (yy - py)**2 + (xx - px)**2 <= pr * pr

    base, period, angle = _FAMILIES[family]
    body_colour = np.array(base, np.float32) + rng.normal(0, 10, 3)
    texture = 30 * _stripes(h, w, period, angle, rng)[..., None]
    img[body] = (body_colour + texture)[body]
    # Part: class colour with a class-specific ring pattern.
    ring = np.cos(np.sqrt((yy - py)**2 + (xx - px)**2) * ring_k * 0.9)
    img[part] = (part_colour * (0.75 + 0.25 * ring[..., None]))[part]
    label[body | part] = c + 1
    return body | part, part


def _sample_classes(cfg: ToyVOCConfig, rng) -> List[int]:
    n = int(rng.integers(1, cfg.max_objects + 1))
    freqs = cfg.class_freqs()
    classes = [int(rng.choice(cfg.num_classes, p=freqs))]
    for _ in range(n - 1):
        if rng.random() < cfg.companion_prob:
            classes.append(cfg.companion(classes[0]))
        else:
            classes.append(int(rng.choice(cfg.num_classes, p=freqs)))
    return classes


def border_band(label: np.ndarray) -> np.ndarray:
    """Pixels whose 4-neighbourhood holds another label (bool H x W)."""
    band = np.zeros(label.shape, bool)
    diff_v = label[1:, :] != label[:-1, :]
    diff_h = label[:, 1:] != label[:, :-1]
    band[1:, :] |= diff_v
    band[:-1, :] |= diff_v
    band[:, 1:] |= diff_h
    band[:, :-1] |= diff_h
    return band


def make_sample(index: int, cfg: ToyVOCConfig):
    """One image, its label map and its visible part pixels per class.

    Returns:
        tuple: ``image`` (uint8 H x W x 3), ``label`` (uint8 H x W, 0..C),
        ``parts`` (dict class index -> visible part pixels).
    """
    rng = np.random.default_rng([cfg.seed, index])
    lo, hi = cfg.min_size // cfg.size_step, cfg.max_size // cfg.size_step
    h = cfg.size_step * int(rng.integers(lo, hi + 1))
    w = cfg.size_step * int(rng.integers(lo, hi + 1))
    img = _background(h, w, cfg, rng)
    label = np.zeros((h, w), np.uint8)
    part_label = np.zeros((h, w), np.uint8)  # later objects paint over
    for c in _sample_classes(cfg, rng):
        obj, part = _draw_object(img, label, c, cfg, rng)
        part_label[obj] = 0
        part_label[part] = c + 1
    parts = {
        int(k) - 1: int(((part_label == k) & (label == k)).sum())
        for k in np.unique(label) if k > 0
    }
    image = np.clip(img, 0, 255).astype(np.uint8)
    return image, label, parts


def _save_png(path, label, palette):
    im = Image.fromarray(label, mode='P')
    im.putpalette(palette.flatten().tolist())
    im.save(path)


def stats_of(labels: Dict[str, np.ndarray], parts: Dict[str, Dict[int, int]],
             ids: List[str], num_classes: int) -> dict:
    """Class frequencies, co-occurrence counts and object areas of ``ids``."""
    freq = np.zeros(num_classes, int)
    cooc = np.zeros((num_classes, num_classes), int)
    area = np.zeros(num_classes)
    part_share = np.zeros(num_classes)
    for i in ids:
        lab = labels[i]
        present = [c for c in range(num_classes) if (lab == c + 1).any()]
        for c in present:
            freq[c] += 1
            pix = (lab == c + 1).sum()
            area[c] += pix / lab.size
            part_share[c] += parts[i].get(c, 0) / pix
            for d in present:
                cooc[c, d] += 1
    n = np.maximum(freq, 1)
    return dict(
        num_images=len(ids),
        images_per_class=freq.tolist(),
        cooccurrence=cooc.tolist(),
        mean_object_area=(area / n).round(4).tolist(),
        mean_part_share=(part_share / n).round(4).tolist(),
        mean_classes_per_image=round(float(np.trace(cooc)) / len(ids), 3))


def generate(root: str, cfg: ToyVOCConfig = None, overwrite=False) -> dict:
    """Write the toy dataset under ``root`` and return its ``stats.json``.

    The dataset is built in a temporary folder beside ``root`` and renamed into
    place when complete, so ``root`` is either absent or whole. If ``root``
    already holds a dataset made with the same parameters, it is kept and its
    stats are returned; a dataset made with other parameters is an error unless
    ``overwrite`` is set.
    """
    cfg = cfg or ToyVOCConfig()
    params = asdict(cfg)
    params['names'] = list(params['names'])
    old = kept_dataset(root, 'stats.json', overwrite,
                       lambda record: record.get('params') == params)
    if old is not None:
        return old
    return write_atomically(root, '.toy_voc-',
                            lambda tmp: _write(tmp, cfg, params))


def kept_dataset(root: str, record_name: str, overwrite: bool,
                 same: Callable[[dict], bool]) -> Optional[dict]:
    """The JSON record ``<root>/<record_name>`` of a generated dataset that
    is to be kept (``same(record)`` and not ``overwrite``); None when
    ``root`` is absent or is to be replaced; FileExistsError when it holds
    something else and ``overwrite`` is not set."""
    path = osp.join(root, record_name)
    if not osp.exists(root):
        return None
    if osp.isfile(path):
        with open(path) as f:
            record = json.load(f)
        if same(record) and not overwrite:
            return record
    if not overwrite:
        raise FileExistsError(
            f'{root} exists and was not made with these parameters '
            f'(no or different {path}); pass overwrite=True '
            '(--overwrite) to replace it')
    return None


def write_atomically(root: str, prefix: str, write: Callable[[str], Any]):
    """``write(tmp)`` into a temporary folder beside ``root``, then rename
    it into place, so ``root`` is either absent or whole; returns what
    ``write`` returns."""
    parent = osp.dirname(osp.abspath(root))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=prefix, dir=parent)
    try:
        out = write(tmp)
        if osp.exists(root):
            shutil.rmtree(root)
        os.rename(tmp, root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _write(out, cfg: ToyVOCConfig, params: dict) -> dict:
    for d in ('JPEGImages', 'SegmentationClass', 'SegmentationClassAug',
              'ImageSets/Segmentation'):
        os.makedirs(osp.join(out, d))
    palette = voc_palette()
    n_total = cfg.num_train_aug + cfg.num_val
    ids = [f'toy_{i:06d}' for i in range(n_total)]
    train_aug = ids[:cfg.num_train_aug]
    train = train_aug[:cfg.num_train]
    val = ids[cfg.num_train_aug:]
    with_voc_mask = set(train) | set(val)
    labels, parts = {}, {}
    lines = []
    for i, img_id in enumerate(ids):
        image, label, part = make_sample(i, cfg)
        labels[img_id], parts[img_id] = label, part
        Image.fromarray(image).save(
            osp.join(out, 'JPEGImages', img_id + '.jpg'), quality=92)
        _save_png(
            osp.join(out, 'SegmentationClassAug', img_id + '.png'), label,
            palette)
        if img_id in with_voc_mask:
            voc = label.copy()
            voc[border_band(label)] = 255
            _save_png(
                osp.join(out, 'SegmentationClass', img_id + '.png'), voc,
                palette)
        tags = [c - 1 for c in np.unique(label) if c > 0]
        lines.append(' '.join([img_id] + [str(t) for t in tags]))
    for name, split in (('train_aug', train_aug), ('train', train), ('val',
                                                                     val)):
        with open(osp.join(out, 'ImageSets/Segmentation', name + '.txt'),
                  'w') as f:
            f.write('\n'.join(split) + '\n')
    with open(osp.join(out, 'cls_labels.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(osp.join(out, 'classes.txt'), 'w') as f:
        f.write('\n'.join(cfg.names) + '\n')
    stats = dict(
        params=params,
        classes=list(cfg.names),
        train_aug=stats_of(labels, parts, train_aug, cfg.num_classes),
        val=stats_of(labels, parts, val, cfg.num_classes))
    with open(osp.join(out, 'stats.json'), 'w') as f:
        json.dump(stats, f, indent=1)
    return stats
