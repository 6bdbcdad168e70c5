"""The ablation grid: which runs it makes, skips and tabulates, by hand with
a stand-in pipeline, and once end to end (shortened stages)."""
import json
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from comnet_mm import ablations
from comnet_mm.ablations import (mean_std, results_markdown, row_definition,
                                 row_pipeline_config, run_grid, same_run)
from conftest import REPO, SMOKE, run_tool, small_imagenet

GRID = dict(
    title='t',
    pipeline='configs/pipeline/baseline_toy.py',
    seeds=(0, 1),
    rows=dict(
        base=dict(cam='configs/cam/cam_toy.py'),
        var=dict(
            cam='configs/comnet/ablations_toy/comnet_toy_inter.py',
            cam_options={'model.neck.0.affinity': 'image_centred'})),
    tables=[
        dict(
            name='A',
            title='A',
            until='cam',
            rows=['base', 'var'],
            paper=dict(base=48.3)),
        dict(name='B', title='B', until=None, rows=['base']),
    ])


class FakePipeline:
    """Records what it is asked to run; returns the stages up to
    ``until`` with metrics derived from the seed and the row's folder."""
    calls = []

    def __init__(self, cfg, work_dir, shared_dir=None, until=None):
        self.cfg, self.work_dir, self.until = cfg, work_dir, until

    def run(self, log=print):
        FakePipeline.calls.append((self.work_dir, self.until))
        seed = self.cfg.cam.options.randomness.seed
        names = [s.name for s in ablations.CHAIN]
        names = names[:names.index(self.until) + 1] if self.until else names
        out = []
        for name in names:
            metrics = {}
            if name == 'cam':
                metrics = {'CAM mIoU': 40.0 + seed, 'CAM best mIoU': 41.0}
            if name == 'irn':
                metrics = {'RW mIoU': 45.0 + 2 * seed}
            out.append(dict(stage=name, wall_s=1.0, metrics=metrics))
        return out


def test_grid_runs_each_missing_run_once(tmp_path, monkeypatch):
    monkeypatch.setattr(ablations, 'Pipeline', FakePipeline)
    FakePipeline.calls = []
    grid = Config(GRID)
    records, md = tmp_path / 'r.json', tmp_path / 'r.md'
    run_grid(grid, str(tmp_path / 'w'), str(records), str(md), seeds=(0, 1))
    calls = [(c[0].split('/w/')[1], c[1]) for c in FakePipeline.calls]
    # table A seed-major at the CAM stage, then B's whole chain for base
    # (its CAM-stage record does not reach the last stage)
    assert calls == [('base/seed0', 'cam'), ('var/seed0', 'cam'),
                     ('base/seed1', 'cam'), ('var/seed1', 'cam'),
                     ('base/seed0', None), ('base/seed1', None)]
    saved = json.load(open(records))
    assert set(saved) == {'base/seed0', 'base/seed1', 'var/seed0', 'var/seed1'}
    assert saved['var/seed1']['definition']['cam_options'] == {
        'model.neck.0.affinity': 'image_centred'
    }
    assert saved['base/seed1']['metrics']['RW mIoU'] == 47.0
    # nothing left to run: a second call makes no run
    FakePipeline.calls = []
    run_grid(grid, str(tmp_path / 'w'), str(records), str(md), seeds=(0, 1))
    assert FakePipeline.calls == []
    # a changed row definition runs that row again, and only it
    grid.rows.var.cam_options = {'model.neck.0.affinity': 'ncut'}
    run_grid(
        grid,
        str(tmp_path / 'w'),
        str(records),
        str(md),
        seeds=(0, 1),
        tables=['A'])
    assert [c[0].split('/w/')[1]
            for c in FakePipeline.calls] == ['var/seed0', 'var/seed1']
    # --rows: only the rows named run, the others wait
    FakePipeline.calls = []
    grid.rows.var.cam_options = {'model.neck.0.affinity': 'cross'}
    run_grid(
        grid,
        str(tmp_path / 'w'),
        str(records),
        str(md),
        seeds=(0, ),
        rows=['base'])
    assert FakePipeline.calls == []  # base is complete; var is not asked
    run_grid(
        grid,
        str(tmp_path / 'w'),
        str(records),
        str(md),
        seeds=(0, ),
        rows=['var'])
    assert [c[0].split('/w/')[1] for c in FakePipeline.calls] == ['var/seed0']
    with pytest.raises(KeyError, match='nope'):
        run_grid(
            grid,
            str(tmp_path / 'w'),
            str(records),
            str(md), (0, ),
            rows=['nope'])
    with pytest.raises(KeyError, match='Z'):
        run_grid(
            grid,
            str(tmp_path / 'w'),
            str(records),
            str(md), (0, ),
            tables=['Z'])


def _grid_runs(tmp_path, monkeypatch):
    """The test grid with the stand-in pipeline, its records file and a
    function that runs it (seed 0) and returns the (run, until) made."""
    monkeypatch.setattr(ablations, 'Pipeline', FakePipeline)
    grid = Config(GRID)
    records, md = tmp_path / 'r.json', tmp_path / 'r.md'

    def run():
        FakePipeline.calls = []
        run_grid(grid, str(tmp_path / 'w'), str(records), str(md), (0, ))
        return [(c[0].split('/w/')[1], c[1]) for c in FakePipeline.calls]

    return grid, records, run


def _edit_digests(monkeypatch, name: str) -> set:
    """Make ablations.<name> (a digest of a pipeline entry) differ for the
    config files whose names are added to the returned set."""
    real, edited = getattr(ablations, name), set()
    monkeypatch.setattr(
        ablations, name, lambda entry: real(entry) +
        ('*' if osp.basename(entry['config']) in edited else ''))
    return edited


def test_an_edited_stage_config_makes_records_stale(tmp_path, monkeypatch):
    """A record carries its stages' config digests: an edited IRN config
    reruns the whole-pipeline table's run only, an edited pretraining every
    run; the records replaced are kept in results.superseded.json."""
    grid, records, run = _grid_runs(tmp_path, monkeypatch)
    assert len(run()) == 3
    before = json.load(open(records))['base/seed0']['definition']['configs']
    assert set(before) == {'pretrain', 'cam', 'irn', 'seg'}
    edited = _edit_digests(monkeypatch, 'source_digest')
    edited.add('irn_toy.py')
    assert run() == [('base/seed0', None)]
    old = json.load(open(tmp_path / 'r.superseded.json'))
    assert list(old) == ['base/seed0']
    assert old['base/seed0'][0]['definition']['configs'] == before
    assert run() == []
    edited.add('resnet18-narrow_toy-imagenet.py')
    assert run() == [('base/seed0', 'cam'), ('var/seed0', 'cam'),
                     ('base/seed0', None)]
    # base/seed0: the first record, then the IRN-edited one (its CAM-stage
    # run of the new definition is extended by table B, not superseded)
    assert [
        len(v)
        for v in json.load(open(tmp_path / 'r.superseded.json')).values()
    ] == [2, 1]
    # a record made before digests were kept matches nothing
    new = row_definition(grid, 'base')
    assert same_run(new, new)
    assert not same_run({k: v for k, v in new.items() if k != 'configs'}, new)


def test_a_changed_module_default_makes_records_stale(tmp_path, monkeypatch):
    """A record carries the digests of the defaults of the comnet_mm
    modules each stage config names: a changed default of a module the CAM
    configs build reruns every run (the IRN config's only the whole-pipeline
    table's); a record without them matches nothing."""
    grid, records, run = _grid_runs(tmp_path, monkeypatch)
    assert len(run()) == 3
    made = json.load(open(records))['var/seed0']['definition']['defaults']
    assert set(made) == {'pretrain', 'cam', 'irn', 'seg'}
    # the real digests: InterMatching is in var's CAM config, not base's
    base, var = row_definition(grid, 'base'), row_definition(grid, 'var')
    assert base['defaults']['cam'] != var['defaults']['cam']
    assert base['defaults']['irn'] == var['defaults']['irn']
    edited = _edit_digests(monkeypatch, 'source_defaults_digest')
    assert run() == []
    edited.add('irn_toy.py')
    assert run() == [('base/seed0', None)]
    edited.add('comnet_toy_inter.py')
    assert run() == [('var/seed0', 'cam')]
    new = row_definition(grid, 'base')
    assert same_run(new, new)
    assert not same_run({k: v for k, v in new.items() if k != 'defaults'}, new)
    assert not same_run(
        new, dict(new, defaults=dict(new['defaults'], cam='x')), until='cam')
    assert same_run(
        new, dict(new, defaults=dict(new['defaults'], irn='x')), until='cam')


def test_tables_by_hand():
    grid = Config(GRID)
    base = row_definition(grid, 'base')
    other = dict(base, cam='configs/comnet/comnet_toy.py')
    records = {
        'base/seed0':
        dict(
            definition=base,
            stages=['pretrain', 'cam'],
            metrics={
                'CAM mIoU': 40.0,
                'pretrain top-1': 50
            },
            machine='cpu a'),
        'base/seed1':
        dict(
            definition=base,
            stages=['pretrain', 'cam'],
            metrics={'CAM mIoU': 44.0},
            machine='cpu b'),
        # another definition under the row's name: not counted
        'base/seed2':
        dict(
            definition=other,
            stages=['cam'],
            metrics={'CAM mIoU': 99.0},
            machine='cpu a'),
    }
    md = results_markdown(grid, records, 'python tools/run_ablations.py g')
    line = next(s for s in md.splitlines() if s.startswith('| base | 0 1'))
    cells = [c.strip() for c in line.strip('|').split('|')]
    # mean 42, sample std sqrt(8) = 2.83; the paper's 48.3 last
    assert cells[2] == '42.00 ± 2.83' and cells[-1] == '48.3'
    assert '| var | - |' in md
    # table B needs the whole chain: base has no such record yet
    assert md.split('### B')[1].count('| base | - |') == 1
    assert 'cpu a; cpu b' in md and 'top-1 50.00' in md
    assert 'python tools/run_ablations.py g' in md
    assert '[results.json](results.json)' in md
    md = results_markdown(grid, records, records_name='results_cpu2.json')
    assert '[results_cpu2.json](results_cpu2.json)' in md
    assert 'results.json' not in md.replace('results_cpu2.json', '')
    assert mean_std([3.0]) == '3.00 (1 seed)' and mean_std([]) == '-'


def test_a_table_to_the_pseudo_masks_shows_the_walk_not_deeplab():
    grid = Config(GRID)
    grid.tables.append(
        dict(name='C', title='C', until='irn', rows=['base', 'var']))
    base = row_definition(grid, 'base')
    records = {
        f'base/seed{s}': dict(
            definition=base,
            stages=['pretrain', 'cam', 'irn'],
            metrics={
                'CAM mIoU': 40.0,
                'RW mIoU': 44.0 + 2 * s,
                'RW bg thr': 0.05
            },
            machine='cpu a')
        for s in (0, 1)
    }
    records['var/seed0'] = dict(
        definition=row_definition(grid, 'var'),
        stages=['pretrain', 'cam'],  # stops short of the walk
        metrics={'CAM mIoU': 41.0},
        machine='cpu a')
    table = results_markdown(grid, records).split('### C')[1]
    head = table.splitlines()[2]
    assert 'pseudo masks (RW) mIoU' in head and 'walk bg threshold' in head
    assert 'DeepLabV3' not in head
    line = next(s for s in table.splitlines() if s.startswith('| base |'))
    cells = [c.strip() for c in line.strip('|').split('|')]
    # seeds, CAM, CAM best, RW (mean 45, std sqrt 2), walk bg
    assert cells[1] == '0 1' and cells[4] == '45.00 ± 1.41'
    assert cells[5] == '0.05 ± 0.00'
    assert '| var | - |' in table
    # the whole-chain table B still wants the last stage
    assert '| base | - |' in results_markdown(grid, records).split('### B')[1]


def test_row_pipeline_config_swaps_the_cam_stage():
    grid = Config(GRID)
    cfg = row_pipeline_config(
        row_definition(grid, 'var', {'seg.options.iters': 5}), 'D', 'P', 3)
    assert cfg.cam.config.endswith('comnet_toy_inter.py')
    assert cfg.cam.options['model.neck.0.affinity'] == 'image_centred'
    assert cfg.cam.options.randomness.seed == 3
    assert cfg.irn.options.randomness.seed == 3
    assert cfg.seg.options.iters == 5
    assert (cfg.data_root, cfg.pretrain_data_root) == ('D', 'P')
    with pytest.raises(KeyError, match='nope'):
        row_definition(grid, 'nope')


@pytest.mark.slow
def test_run_ablations_tool_end_to_end(toy_root, tmp_path):
    """Two rows at the CAM stage (shortened), twice: the second run makes
    nothing and the tables hold the stages' own numbers."""
    grid = tmp_path / 'grid.py'
    grid.write_text(Config(dict(GRID, tables=GRID['tables'][:1])).pretty_text)
    imagenet = small_imagenet(tmp_path / 'imagenet')
    args = [
        sys.executable, f'{REPO}/tools/run_ablations.py',
        str(grid), '--seeds', '0', '--work-dir',
        str(tmp_path / 'w'), '--records',
        str(tmp_path / 'r.json'), '--out',
        str(tmp_path / 'r.md'), '--data-root', toy_root,
        '--pretrain-data-root', imagenet, '--cfg-options', *SMOKE
    ]
    first = run_tool(args)
    records = json.load(open(tmp_path / 'r.json'))
    assert set(records) == {'base/seed0', 'var/seed0'}
    for row in ('base', 'var'):
        cams = json.load(
            open(tmp_path / 'w' / row / 'seed0' / 'cam' / 'cams_metrics.json'))
        m = records[f'{row}/seed0']['metrics']
        assert m['CAM mIoU'] == cams['cam/mIoU']
        assert m['M* IoU'] == cams['inter/iou']
        assert 0 <= m['partner precision'] <= 1
        assert records[f'{row}/seed0']['stages'] == ['pretrain', 'cam']
    cfg = Config.fromfile(tmp_path / 'w' / 'var' / 'seed0' / 'cam' /
                          'config.py')
    assert cfg.model.neck[0].affinity == 'image_centred'
    # the hook's diagnostics equal the tool's on the same checkpoint
    cam = tmp_path / 'w' / 'var' / 'seed0' / 'cam'
    out = tmp_path / 'diag.json'
    run_tool([
        sys.executable, f'{REPO}/tools/analysis_tools/matching_diagnostics.py',
        str(cam / 'config.py'),
        open(cam / 'last_checkpoint').read().strip(), '--cfg-options',
        f'diag_out={out}'
    ])
    tool = json.load(open(out))
    hook = json.load(open(cam / 'cams_metrics.json'))
    for key in ('inter/iou', 'inter/split', 'intra/fg_precision',
                'inter/pairs'):
        assert tool[key] == pytest.approx(hook[key], abs=1e-9), key
    assert '=== base/seed0' in first.stdout
    second = run_tool(args)
    assert '===' not in second.stdout
    md = open(tmp_path / 'r.md').read()
    assert f"{records['base/seed0']['metrics']['CAM mIoU']:.2f} (1 seed)" \
        in md
    # the command remakes the grid into the same files from the same data,
    # whichever runs this call was asked to make; the records link resolves
    made = md.split('```bash\n')[1].split('\n```')[0]
    assert made == ' '.join([
        'python', f'tools/run_ablations.py {grid}', '--records',
        str(tmp_path / 'r.json'), '--out',
        str(tmp_path / 'r.md'), '--data-root', toy_root,
        '--pretrain-data-root', imagenet, '--cfg-options', *SMOKE
    ])
    assert '[r.json](r.json)' in md


def test_machines_with_other_vector_kernels_are_told_apart(monkeypatch):
    """Two CPUs of one name whose torch kernels differ (AVX2, AVX-512)
    train to different numbers: a record says which it ran on."""
    import torch
    seen = set()
    for capability in ('AVX2', 'AVX512'):
        monkeypatch.setattr(
            torch.backends.cpu, 'get_cpu_capability', lambda c=capability: c)
        seen.add(ablations.machine())
    assert len(seen) == 2
    assert all(torch.__version__ in m for m in seen)
