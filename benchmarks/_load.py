"""Load comnet_mm's torch-only modules without the package's ``__init__``
(which registers into OpenMMLab), so a benchmark runs on a machine that has
torch and nothing else."""
import importlib
import json
import os
import os.path as osp
import platform
import sys
import tempfile
import types

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load(relpath: str):
    """Import ``comnet_mm/<relpath>`` (e.g. ``irn/random_walk.py``) under its
    own name, its parent packages stood in for by bare namespace modules:
    the module and what it imports of ours (``comnet_mm.structures``) run,
    no package ``__init__`` does. Outside a benchmark use the real import."""
    parts = ['comnet_mm'] + osp.splitext(relpath)[0].split('/')
    for i in range(1, len(parts)):
        name = '.'.join(parts[:i])
        if name not in sys.modules:
            package = types.ModuleType(name)
            package.__path__ = [osp.join(ROOT, *parts[:i])]
            sys.modules[name] = package
    return importlib.import_module('.'.join(parts))


def device_info(device: str) -> dict:
    info = dict(
        device=device,
        torch=torch.__version__,
        threads=torch.get_num_threads(),
        machine=platform.machine())
    if device.startswith('cuda'):
        info['gpu'] = torch.cuda.get_device_name(device)
    else:
        info['cpu_count'] = os.cpu_count()
    return info


def save(name: str, result: dict, out_dir: str = None):
    """Write ``benchmarks/results/<name>.json`` atomically; print it."""
    out_dir = out_dir or osp.join(ROOT, 'benchmarks', 'results')
    os.makedirs(out_dir, exist_ok=True)
    path = osp.join(out_dir, name + '.json')
    fd, tmp = tempfile.mkstemp(dir=out_dir, suffix='.tmp')
    with os.fdopen(fd, 'w') as f:
        json.dump(result, f, indent=1)
    os.replace(tmp, path)
    print(json.dumps(result, indent=1))
    print('saved', path)
