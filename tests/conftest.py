import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

# Small enough to generate in about a second, large enough for every class.
SMALL_TOY = dict(num_train_aug=48, num_train=16, num_val=16, seed=3)


@pytest.fixture(scope='session')
def toy_root(tmp_path_factory):
    from comnet_mm.toy import ToyVOCConfig, generate
    root = str(tmp_path_factory.mktemp('toy') / 'toy_voc')
    generate(root, ToyVOCConfig(**SMALL_TOY))
    return root


def write_image(path, h=24, w=32, seed=0):
    os.makedirs(osp.dirname(path), exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path)


def write_mask(path, label):
    os.makedirs(osp.dirname(path), exist_ok=True)
    im = Image.fromarray(np.asarray(label, dtype=np.uint8), mode='P')
    im.putpalette([0] * 768)
    im.save(path)


def run_tool(args, cwd=REPO, timeout=600, env=None):
    """Run a repo tool with this interpreter; fail with its output."""
    full_env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    full_env.update(env or {})
    proc = subprocess.run(
        args, cwd=cwd, env=full_env, capture_output=True, text=True,
        timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(
            f'{args} exited {proc.returncode}\n--- stdout\n'
            f'{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}')
    return proc
