"""Load comnet_mm's torch-only modules by path, so a benchmark runs on a
machine that has torch and nothing else (no OpenMMLab packages)."""
import importlib.util
import json
import os
import os.path as osp
import platform
import tempfile

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load(relpath: str):
    """Import ``comnet_mm/<relpath>`` as a standalone module."""
    path = osp.join(ROOT, 'comnet_mm', relpath)
    name = '_bench_' + osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def device_info(device: str) -> dict:
    info = dict(device=device, torch=torch.__version__,
                threads=torch.get_num_threads(), machine=platform.machine())
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
