"""The paper's ablation tables re-run over seeds (``tools/run_ablations.py``).

A grid config (``configs/ablations/toy_tables.py``) names *rows* (a pipeline
config, the CAM config it swaps in, options for that CAM config) and
*tables* (rows, how far each runs: ``until='cam'`` for the CAM-stage tables
I, III, IV; the whole chain for Table II; the paper's VOC numbers). Every
(row, seed) runs through :class:`~comnet_mm.pipeline.Pipeline` in
``<work_dir>/<row>/seed<k>``, resumable there, with the shared pretraining
in ``<work_dir>/pretrain``.

Each finished run's record (its definition, the stages it ran, their
metrics and times, the machine) is added to a JSON file at once
(``docs/results.json`` by default) and the tables are rewritten from it
(``docs/results.md``): both are committed, so a grid that takes longer than
a session goes on from a fresh checkout, where ``work_dir`` is gone. A run
whose record holds the same definition and reached the table's stage is
not run again.
"""
import json
import os.path as osp
import platform
from typing import List, Optional, Sequence

import torch
from mmengine.config import Config

from .pipeline import (CHAIN, Pipeline, _mean_std, find_config, seed_options,
                       source_defaults_digest, source_digest)
from .utils.per_image import write_text_atomic

#: table columns: (heading, pipeline metric column); the CAM-stage tables
#: stop after 'M* IoU' .. 'partner precision'
CAM_COLUMNS = (('CAM mIoU (bg 0.15)', 'CAM mIoU'), ('CAM best mIoU',
                                                    'CAM best mIoU'),
               ('M* > 0 IoU', 'M* IoU'), ('M* image splits', 'M* splits'),
               ('partner precision (objects)', 'partner precision'))
FULL_COLUMNS = CAM_COLUMNS[:2] + (
    ('pseudo masks (RW) mIoU', 'RW mIoU'),
    ('DeepLabV3 val mIoU', 'DeepLabV3 mIoU'),
    ('DeepLabV3+CRF val mIoU', 'DeepLabV3+CRF mIoU')) + CAM_COLUMNS[2:]
#: the columns of a table that stops at ``until`` (any other: FULL_COLUMNS)
COLUMNS = dict(
    cam=CAM_COLUMNS,
    irn=FULL_COLUMNS[:3] + (('walk bg threshold', 'RW bg thr'), ) +
    CAM_COLUMNS[2:])


def cached_definition(cache: Optional[dict], grid: Config, name: str,
                      options: Optional[dict]) -> dict:
    """:func:`row_definition` once per (row, options) in ``cache``: reading
    the configs for their digests takes ~0.2 s a row. A grid reads them
    when it starts; a config edited while it runs is seen at its next start
    (whose digests then differ from the records': those runs run again)."""
    if cache is None:
        return row_definition(grid, name, options)
    key = (name, json.dumps(options, sort_keys=True))
    if key not in cache:
        cache[key] = row_definition(grid, name, options)
    return cache[key]


def row_definition(grid: Config, name: str, options: dict = None) -> dict:
    """What a row runs: its pipeline config, CAM config and CAM options
    (the pipeline config's own defaults when the row leaves them out), and
    ``options`` for every row's pipeline config (``--cfg-options``)."""
    if name not in grid.rows:
        raise KeyError(f'row {name!r} is not in the grid\'s rows '
                       f'({", ".join(grid.rows)})')
    row = grid.rows[name]
    definition = dict(
        pipeline=row.get('pipeline', grid.pipeline),
        cam=row.get('cam'),
        cam_options=dict(row.get('cam_options') or {}))
    if options:
        definition['options'] = dict(options)
    definition = json.loads(json.dumps(definition))  # as the records hold it
    cfg = row_pipeline_config(definition, None, None, None)
    entries = [
        s.config for s in CHAIN if s.config in cfg and not s.checkpoint_of
    ]
    definition['configs'] = {k: source_digest(cfg[k]) for k in entries}
    definition['defaults'] = {
        k: source_defaults_digest(cfg[k])
        for k in entries
    }
    return definition


def same_run(old: dict, new: dict, until: Optional[str] = None) -> bool:
    """Whether a record's definition is ``new`` as far as a table runs:
    the same pipeline, CAM config and options, and the same config digests
    (:func:`~comnet_mm.pipeline.source_digest`) and module-defaults digests
    (:func:`~comnet_mm.pipeline.source_defaults_digest`) for the stages up
    to ``until``: an edited pretraining or CAM config, or a changed default
    of a module it builds, makes a record stale; an edited IRN config only
    the whole-pipeline tables' records. A record without either (made
    before they were kept) matches nothing."""
    digests = ('configs', 'defaults')

    def strip(d):
        return {k: v for k, v in d.items() if k not in digests}

    if strip(old) != strip(new) or any(k not in old for k in digests):
        return False
    names = [s.name for s in CHAIN]
    upto = CHAIN[:names.index(until) + 1] if until else CHAIN
    keys = {s.config for s in upto} & set(new['configs'])
    return all(old[d].get(k) == new[d][k] for d in digests for k in keys)


def row_pipeline_config(definition: dict, data_root: Optional[str],
                        pretrain_data_root: Optional[str],
                        seed: Optional[int]) -> Config:
    """The pipeline config of one (row, seed); ``seed=None`` leaves the
    stage configs' seeds as they are."""
    cfg = Config.fromfile(find_config(definition['pipeline']))
    if definition['cam']:
        cfg.cam.config = definition['cam']
    if definition['cam_options']:  # dotted keys: the stage merges them
        cfg.cam.options = dict(
            cfg.cam.get('options') or {}, **definition['cam_options'])
    if definition.get('options'):
        cfg.merge_from_dict(definition['options'])
    if data_root:
        cfg.data_root = data_root
    if pretrain_data_root:
        cfg.pretrain_data_root = pretrain_data_root
    return cfg if seed is None else seed_options(cfg, seed)


def machine() -> str:
    """The CPU, the vector instructions torch's kernels use, and torch, of
    a run (results differ between machines: their float kernels differ and
    training amplifies it; two CPUs both named "AMD EPYC", one with AVX2
    and one with AVX-512, pretrained to 75.0 and 74.3 % top-1)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next((line.split(':', 1)[1].strip()
                        for line in f if line.startswith('model name')), cpu)
    except OSError:
        pass
    return (f'{cpu} ({torch.backends.cpu.get_cpu_capability()}), '
            f'torch {torch.__version__}')


def load_records(path: str) -> dict:
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'{path} is not a records file: {e}') from e


def superseded_path(records_path: str) -> str:
    """Where records replaced by a run of another definition go:
    ``results.json`` -> ``results.superseded.json``."""
    root, ext = osp.splitext(records_path)
    return root + '.superseded' + ext


def keep_superseded(records_path: str, key: str, record: dict) -> None:
    """Append a record that a new run replaces (another pretraining, an
    edited config) to :func:`superseded_path`, so no result is lost."""
    path = superseded_path(records_path)
    old = load_records(path)
    old.setdefault(key, []).append(record)
    write_text_atomic(path, json.dumps(old, indent=1, sort_keys=True))


def reaches(record: dict, until: Optional[str]) -> bool:
    """Whether a run record ran the stages a table needs."""
    return (until or CHAIN[-1].name) in record['stages']


def run_key(row: str, seed: int) -> str:
    return f'{row}/seed{seed}'


def run_grid(grid: Config,
             work_dir: str,
             records_path: str,
             markdown_path: str,
             seeds: Sequence[int],
             tables: Optional[Sequence[str]] = None,
             rows: Optional[Sequence[str]] = None,
             data_root: Optional[str] = None,
             pretrain_data_root: Optional[str] = None,
             options: Optional[dict] = None,
             command: str = '',
             log=print) -> dict:
    """Run every missing (row, seed) of ``tables`` (all by default), table
    by table and seed-major (seed 0 of every row first, so a grid cut short
    has comparable rows), writing the records and the tables after each
    run; return the records. ``rows`` restricts the runs to those rows (the
    tables still show every row); ``options`` go into every row's pipeline
    config (and its definition)."""
    records = load_records(records_path)
    cache = {}
    chosen = [t for t in grid.tables if tables is None or t['name'] in tables]
    unknown = set(tables or ()) - {t['name'] for t in grid.tables}
    if unknown:
        raise KeyError(f'no table named {sorted(unknown)} in the grid')
    for row in rows or ():
        row_definition(grid, row)  # an unknown row is an error
    for table in chosen:
        for seed in seeds:
            for row in table['rows']:
                if rows is not None and row not in rows:
                    continue
                definition = cached_definition(cache, grid, row, options)
                key = run_key(row, seed)
                old = records.get(key)
                if old and same_run(old['definition'], definition,
                                    table.get('until')) and reaches(
                                        old, table.get('until')):
                    continue
                log(f'=== {key} (table {table["name"]})')
                cfg = row_pipeline_config(definition, data_root,
                                          pretrain_data_root, seed)
                pipeline = Pipeline(
                    cfg,
                    osp.join(work_dir, row, f'seed{seed}'),
                    shared_dir=work_dir,
                    until=table.get('until'))
                runs = pipeline.run(log=log)
                metrics = {k: v for r in runs for k, v in r['metrics'].items()}
                if old and not same_run(old['definition'], definition):
                    keep_superseded(records_path, key, old)
                records[key] = dict(
                    definition=definition,
                    stages=[r['stage'] for r in runs],
                    metrics=metrics,
                    wall_s={r['stage']: r['wall_s']
                            for r in runs},
                    machine=machine())
                write_text_atomic(
                    records_path,
                    json.dumps(records, indent=1, sort_keys=True))
                write_text_atomic(
                    markdown_path,
                    results_markdown(grid, records, command, options, cache,
                                     records_link(records_path,
                                                  markdown_path)))
    write_text_atomic(
        markdown_path,
        results_markdown(grid, records, command, options, cache,
                         records_link(records_path, markdown_path)))
    return records


def records_link(records_path: str, markdown_path: str) -> str:
    """The records file as the tables' markdown file reaches it (both
    usually sit in docs/, so this is the file's name)."""
    return osp.relpath(
        osp.abspath(records_path), osp.dirname(osp.abspath(markdown_path)))


def mean_std(values: Sequence[float]) -> str:
    """The pipeline's 'm ± s' (sample std); one value alone is marked
    '(1 seed)'."""
    if len(values) == 1:
        return f'{values[0]:.2f} (1 seed)'
    return _mean_std(values)


def table_markdown(grid: Config,
                   table: dict,
                   records: dict,
                   options: Optional[dict] = None,
                   cache: Optional[dict] = None) -> List[str]:
    """One table: a row per grid row, each metric as mean ± std over the
    seeds recorded, the seeds, and the paper's VOC number."""
    columns = COLUMNS.get(table.get('until'), FULL_COLUMNS)
    head = ['row', 'seeds'] + [c[0] for c in columns] + ['VOC (paper)']
    lines = [
        f'### {table["title"]}', '', '| ' + ' | '.join(head) + ' |',
        '|' + ' --- |' * len(head)
    ]
    for row in table['rows']:
        definition = cached_definition(cache, grid, row, options)
        runs = {
            int(key.rsplit('seed', 1)[1]): r
            for key, r in records.items() if key.rsplit('/', 1)[0] == row
            and same_run(r['definition'], definition, table.get('until'))
            and reaches(r, table.get('until'))
        }
        seeds = sorted(runs)
        cells = [row, ' '.join(str(s) for s in seeds) or '-']
        for _, column in columns:
            cells.append(
                mean_std([
                    runs[s]['metrics'][column] for s in seeds
                    if column in runs[s]['metrics']
                ]))
        cells.append(str(table.get('paper', {}).get(row, '-')))
        lines.append('| ' + ' | '.join(cells) + ' |')
    if table.get('note'):
        lines += ['', table['note']]
    return lines + ['']


def results_markdown(grid: Config,
                     records: dict,
                     command: str = '',
                     options: Optional[dict] = None,
                     cache: Optional[dict] = None,
                     records_name: str = 'results.json') -> str:
    """docs/results.md: the grid's tables from ``records`` (the runs whose
    definition is the row's now), the command that made them and the
    machines they ran on; ``records_name`` is where the records file lies,
    relative to the markdown file."""
    lines = ['# ' + grid.get('title', 'Ablations over seeds'), '']
    if grid.get('intro'):
        lines += [grid.intro, '']
    if command:
        lines += [
            'Made (and resumed) with:', '', '```bash', command, '```', ''
        ]
    lines += [
        'Each cell is the mean ± sample std over the seeds listed '
        '(`randomness.seed` of every stage; the pretraining is shared). '
        'CAM columns and pseudo masks on `train`, DeepLabV3 on `val`; '
        'M* > 0 IoU, image splits and partner precision are the matching '
        'diagnostics of the CAM checkpoint on 80 co-occurrent `train` pairs '
        '(`cams/matching_diagnostics.py`). Per-seed values and stage times: '
        f'[{records_name}]({records_name}).', ''
    ]
    cache = {} if cache is None else cache
    for table in grid.tables:
        lines += table_markdown(grid, table, records, options, cache)
    machines = sorted({r['machine'] for r in records.values()})
    top1 = sorted({
        round(r['metrics']['pretrain top-1'], 2)
        for r in records.values() if 'pretrain top-1' in r['metrics']
    })
    lines += [
        '## Machines', '',
        'Runs made on: ' + ('; '.join(machines) or '-') + '. The shared '
        'pretraining reached top-1 ' +
        (', '.join(f'{t:.2f}' for t in top1) or '-') + ' on them.', ''
    ]
    return '\n'.join(lines)
