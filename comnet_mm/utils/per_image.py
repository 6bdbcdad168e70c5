"""The loop every per-image pipeline step shares: this rank's share of a
split, a progress bar, files written atomically, complete files kept (only
when they were made with the same settings)."""
import hashlib
import json
import os
import os.path as osp
import tempfile
import time
from contextlib import contextmanager
from typing import Callable, Optional

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


def rank_share_with_masks(dataset, what: str):
    """The data infos of this rank's share of ``dataset`` (every
    ``world``-th from ``rank``); an image without a mask is an error naming
    it and ``what`` the masks are for."""
    rank, world = get_dist_info()
    for i in range(rank, len(dataset), world):
        info = dataset.get_data_info(i)
        if not info.get('seg_map_path'):
            raise ValueError(f'{info["img_id"]} has no mask to {what}')
        yield info


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


#: The name prefix of :func:`atomic_write`'s temporary files.
PARTIAL_PREFIX = '.partial-'


def atomic_write(path: str, write: Callable[[str], None], suffix: str):
    """Call ``write(tmp)`` on a temporary name beside ``path``, then rename:
    readers see the old file or the whole new one, never a part.

    A failed write removes its temporary file; an ``OSError`` (a full disk,
    a folder without write permission) is raised again naming ``path``. A
    process killed mid-write leaves a ``.partial-*`` file that
    :func:`remove_partial_files` clears.
    """
    folder = osp.dirname(path) or '.'
    try:
        fd, tmp = tempfile.mkstemp(
            dir=folder, prefix=PARTIAL_PREFIX, suffix=suffix)
    except OSError as e:
        raise OSError(e.errno, f'cannot write {path}: {e.strerror}') from e
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException as e:
        if osp.exists(tmp):
            os.remove(tmp)
        if isinstance(e, OSError):
            raise OSError(e.errno,
                          f'cannot write {path}: {e.strerror or e}') from e
        raise


def remove_partial_files(folder: str) -> int:
    """Delete the temporary files a killed :func:`atomic_write` left in
    ``folder``; returns how many."""
    if not osp.isdir(folder):
        return 0
    stale = [f for f in os.listdir(folder) if f.startswith(PARTIAL_PREFIX)]
    for name in stale:
        os.remove(osp.join(folder, name))
    return len(stale)


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


def state_digest(model) -> str:
    """A short digest of a model's weights: files made by a model depend on
    them, and a retrained model in the same work dir has the same paths."""
    h = hashlib.sha1()
    tensors = dict(model.named_parameters())
    tensors.update(model.named_buffers())
    for name, value in sorted(tensors.items()):
        h.update(name.encode())
        h.update(value.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:12]


def made_with_path(out_dir: str) -> str:
    """The record of the settings ``out_dir``'s files were made with, beside
    the folder (as its ``_metrics.json``)."""
    return out_dir.rstrip('/') + '_made_with.json'


def read_made_with(out_dir: str) -> Optional[dict]:
    """What ``out_dir``'s files were made with (None without a record): a
    step reading them puts it in its own record, so a remade input makes
    its outputs stale too."""
    path = made_with_path(out_dir)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def keep_if_made_with(out_dir: str, made_with: dict) -> Optional[str]:
    """Keep ``out_dir``'s files only if they were made with ``made_with``
    (JSON-able settings); otherwise move the folder to
    ``<out_dir>.stale-<time>`` (nothing is deleted) and return that path. A
    folder with files but no record (made before records were kept, or by
    hand) cannot show its settings and is moved too. Then record
    ``made_with`` for the files about to be made."""
    record = json.dumps(made_with, sort_keys=True, indent=1, default=str)
    path = made_with_path(out_dir)
    aside = None
    if osp.isdir(out_dir) and os.listdir(out_dir):
        old = open(path).read() if osp.isfile(path) else None
        if old != record:
            aside = base = out_dir.rstrip('/') + '.stale-' + time.strftime(
                '%Y%m%d_%H%M%S')
            n = 1
            while osp.exists(aside):
                aside, n = f'{base}-{n}', n + 1
            os.replace(out_dir, aside)
    os.makedirs(out_dir, exist_ok=True)
    write_text_atomic(path, record)
    return aside


def run_per_image(dataset,
                  out_dir: str,
                  suffix: str,
                  make: Callable[[dict, str], None],
                  complete: Callable[[str], bool],
                  what: str,
                  made_with: Optional[dict] = None) -> int:
    """For this rank's images (r, r + W, ...) of ``dataset``, call
    ``make(data_info, path)`` unless ``complete(path)``; ``path`` is
    ``<out_dir>/<img_id><suffix>``. With ``made_with`` (the settings and
    inputs the files depend on) complete files are kept only if they were
    made with the same (:func:`keep_if_made_with`). Returns the number made
    here; prints a line per rank and waits for the other ranks."""
    rank, world = get_dist_info()
    if rank == 0 and made_with is not None:
        aside = keep_if_made_with(out_dir, made_with)
        if aside:
            print(
                f'{out_dir} holds {what} made with other settings '
                f'(or no record of them, {made_with_path(out_dir)}): moved '
                f'to {aside}',
                flush=True)
    barrier()
    os.makedirs(out_dir, exist_ok=True)
    if rank == 0:  # what a killed run was writing, before anyone writes
        removed = remove_partial_files(out_dir)
        if removed:
            print(f'removed {removed} partial files in {out_dir}', flush=True)
    barrier()
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
