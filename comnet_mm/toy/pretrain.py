"""What ImageNet is to VOC, for the toy set: an object-centric, single-label
classification set in ImageNet's layout, drawn from the toy's visual
vocabulary.

Every VOC stage starts from ImageNet features; the toy stages start from a
network trained here. The classes are *looks*: a part colour, a ring number
for the part's pattern and a body family (colour + stripe texture). The first
``voc_classes`` looks are the toy VOC classes exactly (``class_look``); the
others are further combinations of the same colours, rings and families, so
the features that tell the toy VOC classes apart are learnt among many more
classes, as ImageNet's are among VOC's 20. One object a picture, larger and
more central than in the toy VOC images (ImageNet is object-centric), on the
same cluttered backgrounds.

Layout written under ``root`` (ImageNet's, read by mmpretrain's
``CustomDataset``)::

    train/<class>/<id>.jpg, val/<class>/<id>.jpg
    meta/train.txt, meta/val.txt     "<class>/<id>.jpg <label>" a line
    classes.txt                      one class name a line
    params.json                      the parameters

Deterministic in the parameters; written atomically like the toy VOC set.
"""
import json
import os
import os.path as osp
from dataclasses import asdict, dataclass
from typing import List, Tuple

import numpy as np
from PIL import Image

from .generator import (_FAMILIES, _PART_COLOURS, ToyVOCConfig, _background,
                        _draw_object, class_look, kept_dataset,
                        write_atomically)

RINGS = tuple(range(2, 8))  # the ring numbers of the toy classes' parts


@dataclass
class ToyImageNetConfig:
    """Parameters of the pretraining set.

    Args:
        num_classes: looks in all (> ``voc_classes``).
        voc_classes: the first classes are the toy VOC set's first
            ``voc_classes`` classes (its default 6).
        train_per_class, val_per_class: images per class.
        size: image side in pixels (square).
        object_scale: body size relative to :func:`_draw_object`'s default.
        seed: the seed everything is drawn from.
    """
    num_classes: int = 30
    voc_classes: int = 6
    train_per_class: int = 80
    val_per_class: int = 10
    size: int = 128
    object_scale: float = 1.25
    seed: int = 0

    def __post_init__(self):
        limit = len(_PART_COLOURS) * len(RINGS) * len(_FAMILIES)
        if not self.voc_classes < self.num_classes <= limit:
            raise ValueError(f'num_classes must be in {self.voc_classes + 1}'
                             f'..{limit}, got {self.num_classes}')
        if min(self.train_per_class, self.val_per_class) < 1:
            raise ValueError('train_per_class and val_per_class must be >= 1')
        if self.size < 32:
            raise ValueError(f'size must be >= 32, got {self.size}')


def class_looks(cfg: ToyImageNetConfig) -> List[Tuple[np.ndarray, int, int]]:
    """(part colour, ring number, family) of every class: the toy VOC
    classes first, then other combinations in a seeded order."""
    voc = ToyVOCConfig(num_classes=cfg.voc_classes)
    looks = [class_look(c, voc) for c in range(cfg.voc_classes)]
    taken = {(c, c + 2, voc.family(c)) for c in range(cfg.voc_classes)}
    others = [(p, r, f) for p in range(len(_PART_COLOURS)) for r in RINGS
              for f in range(len(_FAMILIES)) if (p, r, f) not in taken]
    order = np.random.default_rng([cfg.seed, 7]).permutation(len(others))
    for i in order[:cfg.num_classes - cfg.voc_classes]:
        p, r, f = others[i]
        looks.append((_PART_COLOURS[p], r, f))
    return looks


def class_names(cfg: ToyImageNetConfig) -> List[str]:
    voc = ToyVOCConfig(num_classes=cfg.voc_classes).names
    return list(voc) + [
        f'look{j:03d}' for j in range(cfg.voc_classes, cfg.num_classes)
    ]


def make_picture(index: int, label: int, look, cfg: ToyImageNetConfig):
    """One (size, size, 3) uint8 picture of class ``label``."""
    rng = np.random.default_rng([cfg.seed, label, index])
    # the background draws distractors from every body family
    img = _background(cfg.size, cfg.size,
                      ToyVOCConfig(num_classes=2 * len(_FAMILIES)), rng)
    mask = np.zeros((cfg.size, cfg.size), np.uint8)
    _draw_object(
        img, mask, label, None, rng, look=look, scale=cfg.object_scale)
    return np.clip(img, 0, 255).astype(np.uint8)


def generate_pretrain(root: str,
                      cfg: ToyImageNetConfig = None,
                      overwrite: bool = False) -> dict:
    """Write the set under ``root`` (kept when it exists with the same
    parameters; other parameters are refused unless ``overwrite``)."""
    cfg = cfg or ToyImageNetConfig()
    params = asdict(cfg)
    if kept_dataset(root, 'params.json', overwrite,
                    lambda record: record == params) is not None:
        return params

    def write(tmp):
        _write(tmp, cfg)
        with open(osp.join(tmp, 'params.json'), 'w') as f:
            json.dump(params, f, indent=1)

    write_atomically(root, '.toy_imagenet-', write)
    return params


def _write(out: str, cfg: ToyImageNetConfig):
    names = class_names(cfg)
    looks = class_looks(cfg)
    os.makedirs(osp.join(out, 'meta'))
    offset = 0
    for split, per_class in (('train', cfg.train_per_class),
                             ('val', cfg.val_per_class)):
        lines = []
        for label, (name, look) in enumerate(zip(names, looks)):
            os.makedirs(osp.join(out, split, name))
            for i in range(per_class):
                rel = f'{name}/{name}_{offset + i:05d}.jpg'
                Image.fromarray(make_picture(offset + i, label, look,
                                             cfg)).save(
                                                 osp.join(out, split, rel),
                                                 quality=92)
                lines.append(f'{rel} {label}')
        offset += per_class  # val pictures are other draws than train's
        with open(osp.join(out, 'meta', split + '.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    with open(osp.join(out, 'classes.txt'), 'w') as f:
        f.write('\n'.join(names) + '\n')
