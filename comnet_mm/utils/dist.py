"""Distributed training on machines without CUDA (gloo on CPU)."""
import os

import torch
import torch.distributed as dist


def setup_cpu_distributed(cfg, launcher: str) -> bool:
    """Let ``--launcher pytorch`` run on CPU-only machines.

    mmengine's ``pytorch`` launcher calls ``torch.cuda.set_device`` and wraps
    the model with ``device_ids=[LOCAL_RANK]``, both of which fail without
    CUDA. When there is no GPU this initialises the default process group with
    gloo (from torchrun's environment) before the Runner does, which the
    Runner then keeps, and wraps the model without ``device_ids``. With a GPU
    it changes nothing.

    Args:
        cfg (Config): the run's config; ``model_wrapper_cfg`` is set in place.
        launcher (str): the ``--launcher`` value.

    Returns:
        bool: True if a CPU process group was set up.
    """
    if launcher != 'pytorch' or torch.cuda.is_available():
        return False
    missing = [
        k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
        if k not in os.environ
    ]
    if missing:
        raise RuntimeError(
            f'--launcher pytorch needs {missing} in the environment; start '
            'the job with torchrun (tools/dist_train.sh)')
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    wrapper.setdefault('broadcast_buffers', False)
    wrapper.setdefault('find_unused_parameters',
                       cfg.get('find_unused_parameters', False))
    cfg.model_wrapper_cfg = wrapper
    return True
