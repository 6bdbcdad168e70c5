"""The loop every per-image pipeline step shares: this rank's share of a
split, a progress bar, files written atomically, complete files kept."""
import json
import os
import os.path as osp
import tempfile
from contextlib import contextmanager
from typing import Callable

import numpy as np
from mmengine.dist import barrier, get_dist_info
from mmengine.model import is_model_wrapper
from mmengine.registry import DATASETS
from mmengine.utils import ProgressBar
from PIL import Image


def build_split(dataset_cfg):
    """A dataset from its config (in the current scope), fully initialised."""
    dataset = DATASETS.build(dataset_cfg) if isinstance(dataset_cfg,
                                                        dict) else dataset_cfg
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    return dataset


@contextmanager
def stage_model(model):
    """The bare model (DDP wrapper removed) in eval mode; the training mode
    it had is restored afterwards, as a hook after training needs."""
    model = model.module if is_model_wrapper(model) else model
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def atomic_write(path: str, write: Callable[[str], None], suffix: str):
    """Call ``write(tmp)`` on a temporary name beside ``path``, then rename:
    readers see the old file or the whole new one, never a part."""
    folder = osp.dirname(path) or '.'
    fd, tmp = tempfile.mkstemp(dir=folder, suffix='.tmp' + suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def write_text_atomic(path: str, text: str):
    """``text`` into ``path`` (UTF-8), atomically."""

    def write(tmp):
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(text)

    atomic_write(path, write, osp.splitext(path)[1])


def save_npz_atomic(path: str, **arrays):
    """Numpy arrays into an .npz, atomically."""
    atomic_write(path, lambda t: np.savez(t, **arrays), '.npz')


def save_png_atomic(path: str, label: np.ndarray):
    """A uint8 label map as a grey PNG, atomically."""
    atomic_write(
        path, lambda t: Image.fromarray(label.astype(np.uint8)).save(
            t, format='PNG'), '.png')


def png_complete(path: str) -> bool:
    try:
        with Image.open(path) as im:
            im.load()
        return True
    except (OSError, SyntaxError, ValueError):
        return False


def run_per_image(dataset, out_dir: str, suffix: str,
                  make: Callable[[dict, str], None],
                  complete: Callable[[str], bool], what: str) -> int:
    """For this rank's images (r, r + W, ...) of ``dataset``, call
    ``make(data_info, path)`` unless ``complete(path)``; ``path`` is
    ``<out_dir>/<img_id><suffix>``. Returns the number made here; prints a
    line per rank and waits for the other ranks."""
    rank, world = get_dist_info()
    os.makedirs(out_dir, exist_ok=True)
    mine = list(range(rank, len(dataset), world))
    bar = ProgressBar(len(mine)) if rank == 0 else None
    made = 0
    for i in mine:
        info = dataset.get_data_info(i)
        path = osp.join(out_dir, info['img_id'] + suffix)
        if not complete(path):
            make(info, path)
            made += 1
        if bar is not None:
            bar.update()
    # stdout, not the logger: mmengine's logger hides ranks > 0
    print(
        f'rank {rank}: wrote {made} {what} of {len(mine)} to {out_dir}',
        flush=True)
    barrier()
    return made


def write_metrics(metrics: dict, out_dir: str) -> dict:
    """Write a stage's metrics beside its output folder, as
    ``<out_dir>_metrics.json`` (rank 0, atomically); return them as floats."""
    metrics = {k: float(v) for k, v in metrics.items()}
    if get_dist_info()[0] == 0 and metrics:
        write_text_atomic(
            out_dir.rstrip('/') + '_metrics.json',
            json.dumps(metrics, indent=1))
    return metrics
