"""The whole chain, tags to segmenter, as one resumable command
(``tools/run_pipeline.py``).

A pipeline config names one config per stage and the data root::

    data_root = 'data/toy_voc'
    cam = dict(config='configs/comnet/comnet_toy.py', options=dict())
    irn = dict(config='configs/irn/irn_toy.py', options=dict())
    seg = dict(config='configs/deeplabv3/deeplabv3_r18-d8_toy-pseudo.py',
               options=dict())

:data:`CHAIN` says what runs in which order. Each stage runs our
``tools/train.py`` / ``tools/test.py`` as a separate process (under torchrun
with ``--launcher pytorch``) in its own folder ``<work_dir>/<stage>`` on a
config written there (``config.py``): the stage's config with its paths moved
to the pipeline's folders (:func:`rebase_paths`) and its ``options`` merged.
A stage is complete when its ``stage.json`` (wall time, metrics, command,
the digest of its config; written last) and its outputs exist; complete
stages are skipped. An incomplete stage runs again with ``--resume`` when it
has a checkpoint, and its per-image steps keep the files they finished. A
stage runs again from scratch, after its folder is moved aside to
``<stage>.stale-<time>`` (nothing is deleted), when a stage before it is
newer than its run (it ran again, or the shared pretraining was redone for
another pipeline) or when its config changed (an edited config file, other
``options``, another data root, a changed default of a comnet_mm module it
names; or no digest recorded:
:meth:`Pipeline.stale_reason`). For a complete stage "its run" is its
``stage.json``; for an incomplete one it is ``stage_start.json``, written
when the stage starts with the digest it starts on, so that a partial run
is never resumed on another config or another upstream.

The classes are the data's: the pipeline config's ``classes`` key, else
``<data_root>/classes.txt`` (one foreground class a line, as the toy
generator writes), else the stage configs' own. Where they differ from a
stage config's top-level ``classes``, :func:`apply_classes` rewrites that
config (class lists, ``num_classes`` with and without background).

This is written by hand because mmengine runs one config per Runner and has
no notion of a chain of them.
"""
import glob
import hashlib
import json
import os
import os.path as osp
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from comnet_mm.engine.module_defaults import defaults_digest
from comnet_mm.utils.per_image import atomic_write, write_text_atomic


def resource_root() -> str:
    """The folder whose ``tools/`` the stages run and whose ``configs/`` the
    pipeline configs name: the copy a built package carries
    (``comnet_mm/.mim``, see setup.py) or, in a checkout and an editable
    install, the repository."""
    package = osp.dirname(osp.abspath(__file__))
    shipped = osp.join(package, '.mim')
    if osp.isfile(osp.join(shipped, 'tools', 'train.py')):
        return shipped
    return osp.dirname(package)  # Pipeline.command names what is missing


#: Where tools/ and configs/ are (the repository in a checkout).
REPO = resource_root()
TOOLS = osp.join(REPO, 'tools')


def find_config(path: str) -> str:
    """``path`` as given, else relative to :data:`REPO` (pipeline configs
    name stage configs as ``configs/...``)."""
    if osp.isfile(path):
        return path
    if not osp.isabs(path) and osp.isfile(osp.join(REPO, path)):
        return osp.join(REPO, path)
    raise FileNotFoundError(f'config not found: {path}')


@dataclass(frozen=True)
class Stage:
    """One step of the chain.

    Args:
        name: its folder under the pipeline work dir.
        tool: ``'train'`` or ``'test'`` (``tools/<tool>.py``).
        config: the pipeline config key naming the stage config (``'cam'``,
            ``'irn'``, ``'seg'``); a test stage tests the config and the last
            checkpoint of the stage named ``checkpoint_of``.
        outputs: files (relative to the stage folder) that exist when done.
        metrics: table column -> (json file in the stage folder, key).
        optional_metrics: the same, for columns a config may leave out (the
            matching diagnostics of a CAM config with ``cam_cfg.diagnostics``,
            the walk's background in runs older than its record).
        args: extra tool arguments.
        checkpoint_of: for a test stage, the training stage it tests.
        shared: the stage runs once in the shared folder (``shared_dir``)
            for every pipeline and seed there, and only for pipeline
            configs that name it (the toy's pretraining: VOC pipelines
            start from ImageNet weights instead).
    """
    name: str
    tool: str
    config: str
    outputs: Tuple[str, ...]
    metrics: Dict[str, Tuple[str, str]] = field(default_factory=dict)
    optional_metrics: Dict[str, Tuple[str, str]] = field(default_factory=dict)
    args: Tuple[str, ...] = ()
    checkpoint_of: Optional[str] = None
    shared: bool = False


#: (Shared, toy only: the ImageNet stand-in classifier) -> tags -> CAM
#: classifier (its CAMGenerationHook writes and scores the CAMs)
#: -> IRN (seeds before, random-walk pseudo masks and their score after the
#: boundary net trains) -> DeepLabV3 on the pseudo masks -> test on the real
#: masks, without and with the dense CRF.
CHAIN = (
    Stage(
        'pretrain',
        'train',
        'pretrain', ('last_checkpoint', ),
        {'pretrain top-1': ('*/vis_data/scalars.json', 'accuracy/top1')},
        shared=True),
    Stage(
        'cam',
        'train',
        'cam', ('last_checkpoint', 'cams_metrics.json'), {
            'CAM mIoU': ('cams_metrics.json', 'cam/mIoU'),
            'CAM best mIoU': ('cams_metrics.json', 'cam/best_mIoU'),
            'CAM best thr': ('cams_metrics.json', 'cam/best_thr')
        },
        optional_metrics={
            'M* IoU': ('cams_metrics.json', 'inter/iou'),
            'M* splits': ('cams_metrics.json', 'inter/split'),
            'partner precision': ('cams_metrics.json', 'intra/fg_precision')
        }),
    Stage(
        'irn',
        'train',
        'irn', ('last_checkpoint', 'pseudo_masks_metrics.json'),
        {'RW mIoU': ('pseudo_masks_metrics.json', 'mIoU')},
        optional_metrics={
            'RW bg thr': ('pseudo_masks_metrics.json', 'bg_thr')
        }),
    Stage('seg', 'train', 'seg', ('last_checkpoint', )),
    Stage(
        'seg_test',
        'test',
        'seg', ('test_metrics.json', ),
        {'DeepLabV3 mIoU': ('test_metrics.json', 'mIoU')},
        checkpoint_of='seg'),
    Stage(
        'seg_test_crf',
        'test',
        'seg', ('test_metrics.json', ),
        {'DeepLabV3+CRF mIoU': ('test_metrics.json', 'mIoU')},
        args=('--crf', ),
        checkpoint_of='seg'),
)

#: Top-level stage-config variables naming a path the pipeline decides
#: (:meth:`Pipeline.links` gives their new values).
LINKED_VARIABLES = ('data_root', 'pretrain_checkpoint', 'cam_work_dir',
                    'cam_checkpoint', 'irn_work_dir')


def rebase_paths(obj, mapping: Dict[str, str]):
    """A copy of ``obj`` (nested dicts, lists, tuples) in which every string
    that equals a key of ``mapping`` or starts with ``key + '/'`` has that
    prefix replaced by its value; the longest matching key wins.

    This is how a stage config's paths move to the pipeline's folders:
    mmengine resolves ``pseudo_dir = irn_work_dir + '/pseudo_masks'`` when the
    file is read, so changing ``irn_work_dir`` afterwards would change
    nothing else.
    """
    keys = sorted((k for k in mapping if k), key=len, reverse=True)

    def move(value):
        if isinstance(value, str):
            for old in keys:
                if value == old or value.startswith(old + '/'):
                    return mapping[old] + value[len(old):]
            return value
        if isinstance(value, dict):
            return type(value)((k, move(v)) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return type(value)(move(v) for v in value)
        return value

    return move(obj)


def read_classes(path: str) -> Tuple[str, ...]:
    """The foreground classes listed in ``path``, one a line."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'classes file not found: {path}')
    with open(path, encoding='utf-8') as f:
        names = tuple(line.strip() for line in f if line.strip())
    if not names:
        raise ValueError(f'classes file {path} lists no class')
    if len(set(names)) != len(names):
        raise ValueError(f'classes file {path} names a class twice')
    if 'background' in names:
        raise ValueError(f'classes file {path} lists background: list the '
                         'foreground classes only (label 0 is background, '
                         'class i of the file is label i)')
    return names


def pipeline_classes(cfg: Config) -> Optional[Tuple[str, ...]]:
    """The pipeline's classes: its ``classes`` key, else the data root's
    ``classes.txt``, else None (the stage configs keep theirs)."""
    if cfg.get('classes'):
        return tuple(cfg.classes)
    path = osp.join(cfg.get('data_root') or '', 'classes.txt')
    return read_classes(path) if osp.isfile(path) else None


def apply_classes(obj, old: Sequence[str], new: Sequence[str]):
    """A copy of a stage config (nested dicts, lists, tuples) for the
    classes ``new`` instead of ``old`` (foreground, background not listed).

    Every list or tuple equal to ``old`` becomes ``new``, one equal to
    ``('background', *old)`` becomes ``('background', *new)``, and every
    ``num_classes`` equal to ``len(old)`` (tags: the CAM head, its metrics)
    or ``len(old) + 1`` (label maps with background: DeepLabV3's heads)
    becomes ``len(new)`` or ``len(new) + 1``. Like :func:`rebase_paths`,
    this works on the parsed config because mmengine resolves
    ``num_classes = len(classes) + 1`` when it reads the file.
    """
    old, new = tuple(old), tuple(new)
    lists = [(old, new), (('background', ) + old, ('background', ) + new)]
    counts = {len(old): len(new), len(old) + 1: len(new) + 1}

    def move(value, key=None):
        if key == 'num_classes' and isinstance(value, int) and \
                not isinstance(value, bool):
            return counts.get(value, value)
        if isinstance(value, dict):
            return type(value)((k, move(v, k)) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            for before, after in lists:
                if tuple(value) == before:
                    return type(value)(after)
            return type(value)(move(v) for v in value)
        return value

    return move(obj)


def digest(cfg_dict: dict) -> str:
    """A short hash of a config's content (sorted JSON of its dict): equal
    for equal configs, whatever their comments or key order."""
    text = json.dumps(cfg_dict, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def source_config(entry: dict) -> Config:
    """A pipeline entry's config (``config`` and ``options``) as its file
    says it, before the pipeline moves its paths."""
    cfg = Config.fromfile(find_config(entry['config']))
    cfg.merge_from_dict(dict(entry.get('options') or {}))
    return cfg


def source_digest(entry: dict) -> str:
    """:func:`digest` of :func:`source_config`: the same on every machine
    and in every work dir (the ablation grid's records carry it)."""
    return digest(source_config(entry).to_dict())


def source_defaults_digest(entry: dict) -> str:
    """:func:`defaults_digest` of :func:`source_config`: the defaults of the
    comnet_mm modules it names (moving paths changes no module)."""
    return defaults_digest(source_config(entry).to_dict())


START = 'stage_start.json'  # a stage's start: the config digest it ran on


def last_checkpoint(stage_dir: str) -> str:
    """The checkpoint mmengine's ``last_checkpoint`` file in ``stage_dir``
    names."""
    path = osp.join(stage_dir, 'last_checkpoint')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found: the stage in {stage_dir} '
                                'has not saved a checkpoint')
    with open(path) as f:
        ckpt = f.read().strip()
    if not osp.isfile(ckpt):
        raise FileNotFoundError(f'{path} names {ckpt}, which does not exist')
    return ckpt


class Pipeline:
    """One pipeline config run in ``work_dir`` (see the module docstring).

    Args:
        cfg: the pipeline config (``data_root``, ``cam``, ``irn``, ``seg``).
        work_dir: the pipeline folder; stage ``s`` runs in ``work_dir/s``.
        launcher: ``'none'`` or ``'pytorch'`` (every stage under torchrun).
        gpus: processes per stage with ``'pytorch'``.
        port: torchrun's master port.
        verbose: stream the stages' output instead of writing it to
            ``<stage>/stage_output.log``.
        until: the last stage to run (e.g. ``'cam'`` for the CAM-stage
            ablations); all by default.
    """

    def __init__(self,
                 cfg: Config,
                 work_dir: str,
                 launcher: str = 'none',
                 gpus: int = 1,
                 port: int = 29500,
                 verbose: bool = False,
                 chain: Sequence[Stage] = CHAIN,
                 shared_dir: Optional[str] = None,
                 until: Optional[str] = None):
        names = [s.name for s in chain]
        if until is not None:
            if until not in names:
                raise ValueError(f'until must be one of {names}, got '
                                 f'{until!r}')
            chain = chain[:names.index(until) + 1]
        chain = [s for s in chain if not s.shared or s.config in cfg]
        missing = [s.config for s in chain if s.config not in cfg]
        if missing:
            raise KeyError(f'pipeline config {cfg.filename} has no '
                           f'{sorted(set(missing))}')
        if launcher not in ('none', 'pytorch'):
            raise ValueError(f'launcher must be none or pytorch, got '
                             f'{launcher!r}')
        self.cfg = cfg
        self.work_dir = osp.abspath(work_dir)
        self.launcher = launcher
        self.gpus = gpus
        self.port = port
        self.verbose = verbose
        self.chain = tuple(chain)
        self.shared_dir = osp.abspath(shared_dir or osp.dirname(self.work_dir))

    def stage_dir(self, stage: Stage) -> str:
        return osp.join(self.shared_dir if stage.shared else self.work_dir,
                        stage.name)

    def tested_dir(self, stage: Stage) -> str:
        """The folder of the training stage a test stage tests."""
        return self.stage_dir(
            next(s for s in self.chain if s.name == stage.checkpoint_of))

    def is_complete(self, stage: Stage) -> bool:
        folder = self.stage_dir(stage)
        return all(
            osp.exists(osp.join(folder, f))
            for f in ('stage.json', ) + stage.outputs)

    def links(self) -> Dict[str, str]:
        """Values of :data:`LINKED_VARIABLES` for this pipeline (those that
        exist yet)."""
        new = {'data_root': self.cfg.data_root}
        dirs = {
            s.config: self.stage_dir(s)
            for s in self.chain if s.tool == 'train'
        }
        if 'pretrain' in dirs and osp.isfile(
                osp.join(dirs['pretrain'], 'last_checkpoint')):
            new['pretrain_checkpoint'] = last_checkpoint(dirs['pretrain'])
        if 'cam' in dirs:
            new['cam_work_dir'] = dirs['cam']
            if osp.isfile(osp.join(dirs['cam'], 'last_checkpoint')):
                new['cam_checkpoint'] = last_checkpoint(dirs['cam'])
        if 'irn' in dirs:
            new['irn_work_dir'] = dirs['irn']
        return new

    def render_config(self, stage: Stage) -> Config:
        """The stage config with its linked paths moved and its options
        merged (what :meth:`stage_config` writes)."""
        entry = self.cfg[stage.config]
        source = find_config(entry['config'])
        cfg = Config.fromfile(source)
        new = self.links()
        if stage.shared:  # its own data (the pretraining set), not the
            new.pop('data_root')  # pipeline's
            if self.cfg.get('pretrain_data_root'):
                new['data_root'] = self.cfg.pretrain_data_root
        mapping = {
            cfg[var]: new[var]
            for var in LINKED_VARIABLES if var in cfg and var in new
        }
        moved = rebase_paths(cfg.to_dict(), mapping)
        classes = None if stage.shared else pipeline_classes(self.cfg)
        if classes is not None and tuple(cfg.get('classes') or ()) != classes:
            if not cfg.get('classes'):
                raise KeyError(
                    f'{source} has no top-level `classes`, so the data\'s '
                    f'{len(classes)} classes ({", ".join(classes)}) cannot be '
                    'applied to it; define `classes` there')
            moved = apply_classes(moved, cfg.classes, classes)
        moved = Config(moved, filename=source)
        moved.merge_from_dict(dict(entry.get('options') or {}))
        return moved

    def stage_config(self, stage: Stage) -> str:
        """Write ``<stage>/config.py`` (:meth:`render_config`); return its
        path."""
        moved = self.render_config(stage)
        folder = self.stage_dir(stage)
        os.makedirs(folder, exist_ok=True)
        path = osp.join(folder, 'config.py')
        atomic_write(path, moved.dump, '.py')
        return path

    def stage_digests(self, stage: Stage) -> Dict[str, str]:
        """``config_digest`` (:func:`digest`) and ``defaults_digest`` (of the
        comnet_mm modules it names, :func:`defaults_digest`) of the config
        the stage would be written with now; {} for a test stage (it runs
        its training stage's config)."""
        if stage.checkpoint_of:
            return {}
        cfg = self.render_config(stage).to_dict()
        return dict(
            config_digest=digest(cfg), defaults_digest=defaults_digest(cfg))

    def command(self, stage: Stage, config: str) -> List[str]:
        cmd = [sys.executable]
        if self.launcher == 'pytorch':
            cmd += [
                '-m', 'torch.distributed.run', f'--nproc_per_node={self.gpus}',
                f'--master_port={self.port}'
            ]
        tool = osp.join(TOOLS, stage.tool + '.py')
        if not osp.isfile(tool):
            raise FileNotFoundError(
                f'{tool} not found: a built comnet_mm carries tools/ in '
                'comnet_mm/.mim (reinstall with pip install .), a checkout '
                'in its repository')
        cmd += [tool, config]
        if stage.checkpoint_of:
            cmd.append(last_checkpoint(self.tested_dir(stage)))
        cmd += [
            '--work-dir',
            self.stage_dir(stage), '--launcher', self.launcher, *stage.args
        ]
        if stage.tool == 'train' and osp.isfile(
                osp.join(self.stage_dir(stage), 'last_checkpoint')):
            cmd.append('--resume')
        return cmd

    def read_metrics(self, stage: Stage) -> Dict[str, float]:
        """The stage's table columns from its JSON files; a name with a
        ``*`` is mmengine's scalar log (one JSON object a line, the newest
        run's file), whose last line holding the key counts."""
        out = {}
        columns = dict(stage.metrics)
        for column, (name, key) in stage.optional_metrics.items():
            path = osp.join(self.stage_dir(stage), name)
            if osp.isfile(path):
                with open(path) as f:
                    if key in json.load(f):
                        columns[column] = (name, key)
        for column, (name, key) in columns.items():
            path = osp.join(self.stage_dir(stage), name)
            if '*' in name:
                found = sorted(glob.glob(path), key=osp.getmtime)
                if not found:
                    raise FileNotFoundError(f'no {path}')
                path = found[-1]
                with open(path) as f:
                    lines = [json.loads(line) for line in f if line.strip()]
                values = next((v for v in reversed(lines) if key in v), {})
            else:
                with open(path) as f:
                    values = json.load(f)
            if key not in values:
                raise KeyError(f'{path} has no {key!r}')
            out[column] = values[key]
        return out

    def run_stage(self, stage: Stage, log=print) -> dict:
        config = (
            osp.join(self.tested_dir(stage), 'config.py')
            if stage.checkpoint_of else self.stage_config(stage))
        cmd = self.command(stage, config)
        folder = self.stage_dir(stage)
        os.makedirs(folder, exist_ok=True)
        log(f'[{stage.name}] ' + ' '.join(cmd))
        start = time.time()
        if self.verbose:
            rc = subprocess.call(cmd)
        else:
            out_path = osp.join(folder, 'stage_output.log')
            with open(out_path, 'w') as out:
                rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT)
        wall = time.time() - start
        if rc != 0:
            tail = ''
            if not self.verbose:
                with open(out_path, errors='replace') as f:
                    tail = ''.join(f.readlines()[-30:])
            raise RuntimeError(f'stage {stage.name} failed (exit {rc}) after '
                               f'{wall:.0f} s: {" ".join(cmd)}\n{tail}')
        lost = [
            f for f in stage.outputs if not osp.exists(osp.join(folder, f))
        ]
        if lost:
            raise RuntimeError(f'stage {stage.name} finished but did not '
                               f'write {lost} in {folder}')
        record = dict(
            stage=stage.name,
            command=cmd,
            wall_s=round(wall, 1),
            metrics=self.read_metrics(stage))
        record.update(self.stage_digests(stage))
        write_text_atomic(
            osp.join(folder, 'stage.json'), json.dumps(record, indent=1))
        return record

    def stale_reason(self, stage: Stage, upstream: int) -> Optional[str]:
        """Why a stage's folder must be moved aside and the stage run from
        scratch, or None: a stage before it finished later than its run
        (``upstream``, the newest ``stage.json`` before it, in ns), or the
        config it would be written with now differs from the one its run
        had (``config_digest``), or so do the defaults of the comnet_mm
        modules it names (``defaults_digest``: an edited default changes the
        network an unchanged config builds). A record without either,
        written before they were kept, cannot show what it ran and counts
        as changed.
        Its run is its ``stage.json`` when complete, else the
        ``stage_start.json`` of a partial run (None when nothing ran)."""
        folder = self.stage_dir(stage)
        if self.is_complete(stage):
            record, what = osp.join(folder, 'stage.json'), ''
        elif osp.isdir(folder) and os.listdir(folder):
            record, what = osp.join(folder, START), 'its partial run: '
            if not osp.isfile(record):
                return (what + f'no {START} says which config it started '
                        'on (an older run)')
        else:
            return None
        if os.stat(record).st_mtime_ns < upstream:
            return what + 'an earlier stage ran again'
        if stage.checkpoint_of:
            return None
        with open(record) as f:
            ran = json.load(f)
        now, name = self.stage_digests(stage), osp.basename(record)
        for key, what_changed in (('config_digest', 'its config changed'),
                                  ('defaults_digest',
                                   "its modules' defaults changed")):
            if ran.get(key) is None:
                return what + f'{name} has no {key} (an older run)'
            if ran[key] != now[key]:
                return what + what_changed
        return None

    def mark_start(self, stage: Stage):
        """Write ``stage_start.json`` (the digest the stage starts on) unless
        the partial run being resumed wrote it (:meth:`stale_reason` has
        checked that it matches)."""
        path = osp.join(self.stage_dir(stage), START)
        if osp.isfile(path):
            return
        os.makedirs(self.stage_dir(stage), exist_ok=True)
        record = dict(stage=stage.name, started=time.time())
        record.update(self.stage_digests(stage))
        write_text_atomic(path, json.dumps(record, indent=1))

    def run(self, log=print) -> List[dict]:
        """Run the incomplete stages in order; return every stage's record
        (``stage``, ``wall_s``, ``metrics``, ``skipped``)."""
        os.makedirs(self.work_dir, exist_ok=True)
        records = []
        upstream = 0  # the newest stage.json of the stages so far (ns)
        for stage in self.chain:
            done = osp.join(self.stage_dir(stage), 'stage.json')
            stale = self.stale_reason(stage, upstream)
            if self.is_complete(stage) and not stale:
                with open(done) as f:
                    record = dict(json.load(f), skipped=True)
                log(f'[{stage.name}] complete, skipped '
                    f'({record["wall_s"]:.0f} s when it ran)')
            else:
                if stale:
                    aside = base = (
                        self.stage_dir(stage) + '.stale-' +
                        time.strftime('%Y%m%d_%H%M%S'))
                    n = 1
                    while osp.exists(aside):  # twice within a second
                        aside, n = f'{base}-{n}', n + 1
                    os.replace(self.stage_dir(stage), aside)
                    log(f'[{stage.name}] {stale}: its previous run is moved '
                        f'to {aside}')
                self.mark_start(stage)
                record = dict(self.run_stage(stage, log), skipped=False)
                log(f'[{stage.name}] done in {record["wall_s"]:.0f} s ' +
                    ', '.join(f'{k}: {v:.2f}'
                              for k, v in record['metrics'].items()))
            upstream = max(upstream, os.stat(done).st_mtime_ns)
            records.append(record)
        return records


def results_table(results: Dict[str, List[dict]]) -> Tuple[str, dict]:
    """Markdown table and JSON-able dict of several pipelines' records:
    one row per pipeline, the metric columns, then wall time per stage."""
    names = list(results)
    columns, stages = [], []
    for records in results.values():
        for r in records:
            if r['stage'] not in stages:
                stages.append(r['stage'])
            columns += [c for c in r['metrics'] if c not in columns]
    head = (['pipeline'] + columns + [f'{s} (s)'
                                      for s in stages] + ['total (s)'])
    lines = ['| ' + ' | '.join(head) + ' |', '|' + ' --- |' * len(head)]
    table = {}
    for name in names:
        metrics = {
            k: v
            for r in results[name] for k, v in r['metrics'].items()
        }
        times = {r['stage']: r['wall_s'] for r in results[name]}
        row = [name] + [_fmt(metrics.get(c)) for c in columns]
        row += [_fmt(times.get(s), 0) for s in stages]
        row.append(_fmt(sum(times.values()), 0))
        lines.append('| ' + ' | '.join(row) + ' |')
        table[name] = dict(
            metrics=metrics,
            wall_s=times,
            total_s=round(sum(times.values()), 1),
            skipped=[r['stage'] for r in results[name] if r.get('skipped')])
    return '\n'.join(lines) + '\n', table


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return '-'
    return f'{value:.{digits}f}'


def seed_options(cfg: Config, seed: int) -> Config:
    """A copy of the pipeline config whose every non-shared stage config
    gets ``randomness.seed = seed`` (through its ``options``)."""
    out = Config(cfg.to_dict(), filename=cfg.filename)
    for key in {s.config for s in CHAIN if not s.shared}:
        if key in out:
            out.merge_from_dict({f'{key}.options.randomness.seed': seed})
    return out


def seeds_table(results: Dict[str, Dict[int, List[dict]]]) -> Tuple[str, dict]:
    """Markdown table and JSON-able dict of pipelines run over seeds: one
    row per pipeline, each metric as mean +- sample std (ddof 1) over the
    seeds, then the mean wall time per stage; the JSON keeps every seed's
    values."""
    columns, stages = [], []
    for runs in results.values():
        for records in runs.values():
            for r in records:
                if r['stage'] not in stages:
                    stages.append(r['stage'])
                columns += [c for c in r['metrics'] if c not in columns]
    head = (['pipeline', 'seeds'] + columns + [f'{s} (s)' for s in stages])
    lines = ['| ' + ' | '.join(head) + ' |', '|' + ' --- |' * len(head)]
    table = {}
    for name, runs in results.items():
        values = {c: [] for c in columns}
        times = {s: [] for s in stages}
        for records in runs.values():
            for r in records:
                for k, v in r['metrics'].items():
                    values[k].append(v)
                times[r['stage']].append(r['wall_s'])
        row = [name, ' '.join(str(k) for k in runs)]
        row += [_mean_std(values[c]) for c in columns]
        row += [_fmt(sum(t) / len(t), 0) if t else '-' for t in times.values()]
        lines.append('| ' + ' | '.join(row) + ' |')
        table[name] = dict(
            seeds=list(runs),
            metrics={
                c: dict(mean=_mean(v), std=_std(v), values=v)
                for c, v in values.items() if v
            },
            wall_s={s: t
                    for s, t in times.items() if t})
    return '\n'.join(lines) + '\n', table


def _mean(v: Sequence[float]) -> float:
    return sum(v) / len(v)


def _std(v: Sequence[float]) -> float:
    if len(v) < 2:
        return 0.0
    m = _mean(v)
    return (sum((x - m)**2 for x in v) / (len(v) - 1))**0.5


def _mean_std(v: Sequence[float]) -> str:
    if not v:
        return '-'
    return f'{_mean(v):.2f} ± {_std(v):.2f}'
