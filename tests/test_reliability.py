"""What holds under real faults (docs/reliability.md): processes killed with
SIGKILL mid-way and run again, and the bad-input rows not tested elsewhere.
"""
import errno
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope, init_default_scope
from mmpretrain.registry import DATASETS
from PIL import Image

import comnet_mm  # noqa: F401  (registers our modules)
from comnet_mm.datasets import CoOccurrentGroupDataset
from comnet_mm.engine import build_and_load
from comnet_mm.structures import cams_complete, load_cams
from comnet_mm.utils.per_image import (PARTIAL_PREFIX, atomic_write,
                                       remove_partial_files, run_per_image,
                                       save_npz_atomic)
from conftest import (REPO, fast_options, finished, free_port, irn_options,
                      kill_after, mtimes, random_checkpoint, run_tool)

N = 24  # images of train_aug the per-image tools work on here


def cams_options(toy_root):
    return [
        f'cam_cfg.dataset.data_root={toy_root}',
        f'cam_cfg.dataset.indices={N}',
        f'cam_cfg.eval_dataset.data_root={toy_root}',
        f'cam_cfg.eval_dataset.indices={N}'
    ]


def make_cams(ckpt, work, toy_root):
    return [
        sys.executable, 'tools/make_cams.py', 'configs/cam/cam_toy.py', ckpt,
        '--work-dir',
        str(work), '--cfg-options', *cams_options(toy_root)
    ]


@pytest.mark.slow
def test_make_cams_killed_midway_then_rerun(toy_root, tmp_path):
    """No CAM file is half-written, the finished ones are kept as they are,
    and the rerun ends with the files of an uninterrupted run, bitwise."""
    ckpt = random_checkpoint('configs/cam/cam_toy.py', tmp_path / 'cam.pth')
    work = tmp_path / 'killed'
    kill_after(make_cams(ckpt, work, toy_root), work / 'cams', '.npz', 3)
    done = finished(work / 'cams', '.npz')
    assert 3 <= len(done) < N
    assert all(cams_complete(str(work / 'cams' / f)) for f in done)
    kept = mtimes(work / 'cams', done)

    out = run_tool(make_cams(ckpt, work, toy_root))
    assert f'wrote {N - len(done)} CAM files of {N}' in out.stdout
    assert mtimes(work / 'cams', done) == kept  # not recomputed
    assert not [
        f for f in os.listdir(work / 'cams') if f.startswith(PARTIAL_PREFIX)
    ]
    run_tool(make_cams(ckpt, tmp_path / 'clean', toy_root))
    names = finished(tmp_path / 'clean' / 'cams', '.npz')
    assert finished(work / 'cams', '.npz') == names and len(names) == N
    for f in names:
        a = load_cams(str(work / 'cams' / f))
        b = load_cams(str(tmp_path / 'clean' / 'cams' / f))
        for key in a:
            assert np.array_equal(a[key], b[key]), (f, key)


@pytest.mark.slow
def test_make_pseudo_labels_killed_midway_then_rerun(toy_root, tmp_path):
    cam_ckpt = random_checkpoint('configs/cam/cam_toy.py',
                                 tmp_path / 'cam.pth')
    cam_work = tmp_path / 'cam'
    run_tool(make_cams(cam_ckpt, cam_work, toy_root))
    ckpt = random_checkpoint('configs/irn/irn_toy.py', tmp_path / 'irn.pth')

    def cmd(work):
        return [
            sys.executable,
            'tools/make_pseudo_labels.py',
            'configs/irn/irn_toy.py',
            ckpt,
            '--work-dir',
            str(work),
            '--cfg-options',
            *irn_options(toy_root, cam_work, N),
            'pseudo_cfg.bg_thr=walk_best'  # the background from the sweep
        ]

    work = tmp_path / 'killed'
    kill_after(cmd(work), work / 'pseudo_masks', '.png', 3)
    done = finished(work / 'pseudo_masks', '.png')
    assert 3 <= len(done) < N
    for f in done:  # every finished mask reads whole
        with Image.open(work / 'pseudo_masks' / f) as im:
            im.load()
    kept = mtimes(work / 'pseudo_masks', done)
    out = run_tool(cmd(work))
    assert f'wrote {N - len(done)} pseudo masks of {N}' in out.stdout
    assert mtimes(work / 'pseudo_masks', done) == kept
    run_tool(cmd(tmp_path / 'clean'))
    # and 2 ranks (torchrun, gloo) write the same masks as 1
    ranks = cmd(tmp_path / 'ranks')
    out = run_tool([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={free_port()}', *ranks[1:], '--launcher', 'pytorch'
    ])
    assert 'rank 1: wrote' in out.stdout
    # the sweep's areas are summed over the ranks: the same mIoU at every
    # background as one process's, so the same background is chosen
    sweeps = [
        json.load(open(w / 'pseudo_masks_walk_sweep.json'))['mIoU']
        for w in (tmp_path / 'clean', tmp_path / 'ranks', work)
    ]
    assert len(set(map(round_values, sweeps))) == 1, sweeps
    assert len(set(sweeps[0].values())) > 1  # the background matters
    names = finished(tmp_path / 'clean' / 'pseudo_masks', '.png')
    assert len(names) == N
    for other in (work, tmp_path / 'ranks'):
        assert finished(other / 'pseudo_masks', '.png') == names
        for f in names:
            a = np.array(Image.open(other / 'pseudo_masks' / f))
            b = np.array(Image.open(tmp_path / 'clean' / 'pseudo_masks' / f))
            assert np.array_equal(a, b), (other, f)


def round_values(scores: dict) -> tuple:
    """``scores`` to 9 decimals (float sums in another order), hashable."""
    return tuple(sorted((k, round(v, 9)) for k, v in scores.items()))


def train_cmd(work, toy_root, *extra):
    return [
        sys.executable, 'tools/train.py', 'configs/cam/cam_toy.py',
        '--work-dir',
        str(work), *extra, '--cfg-options', *fast_options(toy_root, 2),
        'train_dataloader.dataset.seed_per_item=True'
    ]


@pytest.fixture(scope='session')
def one_rank_run(toy_root, tmp_path_factory):
    """``train_cmd`` run once, uninterrupted on one rank: the reference of
    the kill/resume and the two-rank tests (made once: one xdist_group puts
    both on one worker)."""
    work = tmp_path_factory.mktemp('one_rank') / 'work'
    run_tool(train_cmd(work, toy_root))
    return work


@pytest.mark.slow
@pytest.mark.xdist_group('one_rank_run')  # one worker: one run
def test_training_killed_midway_resumes_bitwise(toy_root, one_rank_run,
                                                tmp_path):
    """SIGKILL inside epoch 2, then the same command with --resume: the final
    weights equal an uninterrupted run's bit for bit (CPU, one thread, items
    seeded per (seed, epoch, anchor), see CoOccurrentGroupDataset)."""
    work = tmp_path / 'killed'
    log = tmp_path / 'killed.log'
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    with open(log, 'w') as f:
        proc = subprocess.Popen(
            train_cmd(work, toy_root),
            cwd=REPO,
            env=env,
            stdout=f,
            stderr=subprocess.STDOUT)
    pattern = re.compile(r'Epoch\(train\) +\[2\]\[ *(\d+)/')
    deadline = time.time() + 300
    while proc.poll() is None and time.time() < deadline:
        its = [int(i) for i in pattern.findall(open(log).read())]
        if its and max(its) >= 3:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, open(log).read()[-3000:]
    assert not (work / 'epoch_2.pth').exists()
    out = run_tool(train_cmd(work, toy_root, '--resume'))
    assert 'resumed epoch: 1' in out.stdout + out.stderr
    a = torch.load(work / 'epoch_2.pth', map_location='cpu')['state_dict']
    b = torch.load(
        one_rank_run / 'epoch_2.pth', map_location='cpu')['state_dict']
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def _group_dataset(toy_root, **kwargs):
    cfg = Config.fromfile(f'{REPO}/configs/cam/cam_toy.py')
    data = cfg.train_dataloader.dataset
    data.dataset.data_root = toy_root
    data.update(kwargs)
    init_default_scope('mmpretrain')
    return DATASETS.build(data)


def test_items_seeded_per_anchor_ignore_the_history(toy_root):
    """With seed_per_item an item is the same whatever was drawn before it
    (another worker, a resumed run); without, the augmentations move on."""
    seeded = _group_dataset(toy_root, seed_per_item=True)
    first = [seeded[i][0]['inputs'] for i in (3, 4)]
    np.random.rand(7)  # someone else draws in between
    for i in (9, 1):
        seeded[i]
    assert torch.equal(seeded[3][0]['inputs'], first[0])
    assert torch.equal(seeded[4][0]['inputs'], first[1])
    plain = _group_dataset(toy_root, seed_per_item=False)
    draws = [plain[3][0]['inputs'] for _ in range(4)]
    assert not all(d.shape == draws[0].shape and torch.equal(d, draws[0])
                   for d in draws[1:])


# --- bad input ------------------------------------------------------------


def test_disk_full_during_a_write_leaves_nothing(tmp_path, monkeypatch):
    """ENOSPC inside the write: a clear error naming the file, no file and
    no temporary left behind."""

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(np, 'savez', full)
    path = tmp_path / 'x.npz'
    with pytest.raises(OSError, match=f'cannot write {path}: No space') as e:
        save_npz_atomic(str(path), a=np.zeros(3))
    assert e.value.errno == errno.ENOSPC
    assert os.listdir(tmp_path) == []


def test_an_existing_file_is_kept_when_its_rewrite_fails(tmp_path):
    path = tmp_path / 'x.txt'
    path.write_text('old')

    def fail(tmp):
        open(tmp, 'w').write('half')
        raise OSError(errno.EIO, 'I/O error')

    with pytest.raises(OSError, match='cannot write'):
        atomic_write(str(path), fail, '.txt')
    assert path.read_text() == 'old' and os.listdir(tmp_path) == ['x.txt']


def test_unwritable_output_folder_is_a_clear_error(tmp_path):
    """An output folder that cannot be made (a file stands where it would
    go) stops before any image, naming the path."""
    blocker = tmp_path / 'work'
    blocker.write_text('')
    with pytest.raises(OSError, match=str(blocker)):
        run_per_image([], str(blocker / 'cams'), '.npz', None, None, 'x')
    with pytest.raises(OSError, match=str(blocker)):
        save_npz_atomic(str(blocker / 'x.npz'), a=np.zeros(1))


def test_partial_files_of_a_killed_writer_are_removed(tmp_path):
    (tmp_path / f'{PARTIAL_PREFIX}abc.npz').write_bytes(b'PK\x03')
    (tmp_path / 'done.npz').write_bytes(b'kept')
    assert remove_partial_files(str(tmp_path)) == 1
    assert os.listdir(tmp_path) == ['done.npz']
    assert remove_partial_files(str(tmp_path / 'missing')) == 0


class _Tags:
    """A multi-label dataset stand-in: image i has ``tags[i]``."""

    def __init__(self, tags):
        self.tags = tags

    def __len__(self):
        return len(self.tags)

    def get_cat_ids(self, i):
        return self.tags[i]


@pytest.mark.parametrize(
    'tags, anchor',
    [
        # an image listed with no class
        ([[], [0], [0], [1], [1]], 0),
        # a class present in a single image (2 is only in image 4)
        ([[0], [0], [1], [1], [2]], 4),
    ])
def test_groups_without_a_shared_class_fall_back(tags, anchor):
    """Documented fallback (CoOccurrentGroupDataset rule 4): partners drawn
    from all other images, no shared class, inter-matching skips the group
    (tests/test_inter_matching.py)."""
    ds = CoOccurrentGroupDataset(_Tags(tags), group_size=2, seed=0)
    for epoch in range(10):
        members, shared = ds.group_indices(anchor, epoch)
        assert members[0] == anchor and anchor not in members[1:]
        assert shared == []


def test_misspelt_module_type_names_it(tmp_path):
    cfg = Config.fromfile(f'{REPO}/configs/comnet/comnet_toy.py')
    cfg.model.neck[0].type = 'InterMatchin'
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        with pytest.raises(KeyError, match='InterMatchin is not in the'):
            MODELS.build(cfg.model)


class _Payload:
    """Unpickling this would run a command: the classic checkpoint attack."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def test_checkpoint_with_a_pickled_object_is_refused(tmp_path):
    """Our loader (weights-only; comnet_mm allow-lists only mmengine's own
    types) refuses it without running it."""
    marker = tmp_path / 'ran'
    path = tmp_path / 'evil.pth'
    cfg = Config.fromfile(f'{REPO}/configs/cam/cam_toy.py')
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        state = MODELS.build(cfg.model).state_dict()
    torch.save(dict(state_dict=state, meta=dict(x=_Payload(marker))), path)
    with pytest.raises(Exception, match='Weights only load failed'):
        build_and_load(cfg, str(path))
    assert not marker.exists()


@pytest.mark.slow
@pytest.mark.xdist_group('one_rank_run')  # one worker: one run
def test_two_rank_training_matches_one_rank(toy_root, one_rank_run, tmp_path):
    """2 ranks x 2 groups against 1 rank x 4 groups, 2 epochs: the same
    items in each step (DefaultSampler interleaves the ranks' shares, items
    are seeded per anchor) and no BN statistics to differ (the CAM configs
    freeze BN), so the runs differ only by the order gradients are summed
    in: weights within 1e-4, the same val mAP to 0.1."""
    one, two = one_rank_run, tmp_path / 'two'
    opts = [o for o in fast_options(toy_root, 2) if 'batch_size' not in o]
    out = run_tool([
        'bash', 'tools/dist_train.sh', 'configs/cam/cam_toy.py', '2',
        '--work-dir',
        str(two), '--cfg-options', *opts, 'train_dataloader.batch_size=2'
    ],
                   env=dict(PYTHON=sys.executable, PORT=str(free_port())))
    assert 'Distributed training: True' in out.stdout + out.stderr
    a = torch.load(one / 'epoch_2.pth', map_location='cpu')
    # 48 groups a epoch: 12 iterations of 4 on 1 rank, of 2 + 2 on 2
    b = torch.load(two / 'epoch_2.pth', map_location='cpu')
    assert a['meta']['iter'] == b['meta']['iter'] == 2 * 48 // 4
    worst = max((a['state_dict'][k].float() -
                 b['state_dict'][k].float()).abs().max().item()
                for k in a['state_dict'])
    assert worst < 1e-4, worst
    maps = [
        json.loads(line)['multi-label/mAP'] for run in (one, two)
        for line in open(next(run.glob('*/vis_data/scalars.json')))
        if 'multi-label/mAP' in line
    ]
    assert abs(maps[1] - maps[3]) < 0.1, maps


@pytest.mark.slow
def test_seeds_from_two_ranks_equal_one_rank(toy_root, tmp_path):
    """The IRN stage's seed maps (CAMs + CRF), written before training by
    SeedGenerationHook, split across 2 ranks, equal 1 rank's exactly.
    One iteration of training: the hooks are what is compared."""
    cam_ckpt = random_checkpoint('configs/cam/cam_toy.py',
                                 tmp_path / 'cam.pth')
    cam = tmp_path / 'cam'
    run_tool(make_cams(cam_ckpt, cam, toy_root))

    def opts(seeds):
        return [
            o.replace(f'{cam}/seeds', str(seeds))
            for o in irn_options(toy_root, cam, N)
        ] + ['train_dataloader.dataset.indices=4']

    run_tool([
        sys.executable, 'tools/train.py', 'configs/irn/irn_toy.py',
        '--work-dir',
        str(tmp_path / 'one'), '--cfg-options', *opts(tmp_path / 'seeds1')
    ])
    out = run_tool([
        'bash', 'tools/dist_train.sh', 'configs/irn/irn_toy.py', '2',
        '--work-dir',
        str(tmp_path / 'two'), '--cfg-options', *opts(tmp_path / 'seeds2')
    ],
                   env=dict(PYTHON=sys.executable, PORT=str(free_port())))
    assert f'rank 1: wrote {N // 2} seed maps' in out.stdout
    names = finished(tmp_path / 'seeds1', '.png')
    assert len(names) == N and finished(tmp_path / 'seeds2', '.png') == names
    for f in names:
        a = np.array(Image.open(tmp_path / 'seeds1' / f))
        b = np.array(Image.open(tmp_path / 'seeds2' / f))
        assert np.array_equal(a, b), f
