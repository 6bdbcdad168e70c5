"""The one-command pipeline: path linking, the results table, and a reduced
`make demo` (every stage, figures) followed by resumes, one of them after
a SIGKILL inside a stage."""
import json
import os
import os.path as osp
import shutil
import sys

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from comnet_mm.pipeline import (CHAIN, Pipeline, digest, rebase_paths,
                                results_table, source_digest)
from conftest import (REPO, SMALL_IMAGENET, SMALL_TOY_ARGS, SMOKE, finished,
                      kill_after, mtimes, run_tool, small_imagenet)


def test_rebase_paths_hand_case():
    cfg = dict(
        a='data/toy',
        b='data/toy/JPEGImages',
        c='data/toy2/x',
        d=['w/cam/epoch_12.pth', 'w/cam/cams', ('w/cam', 3)],
        e=dict(f='w/camera', g=None))
    out = rebase_paths(
        cfg, {
            'data/toy': '/new/data',
            'w/cam': '/run/cam',
            'w/cam/epoch_12.pth': '/run/cam/epoch_1.pth'
        })
    assert out == dict(
        a='/new/data',
        b='/new/data/JPEGImages',
        c='data/toy2/x',
        d=['/run/cam/epoch_1.pth', '/run/cam/cams', ('/run/cam', 3)],
        e=dict(f='w/camera', g=None))
    assert isinstance(out['d'][2], tuple)


def test_stage_configs_are_linked(tmp_path):
    """The IRN and DeepLab configs the pipeline writes point at its own CAM
    and IRN folders and data root; nothing is left at the defaults."""
    cfg = Config.fromfile(f'{REPO}/configs/pipeline/comnet_toy.py')
    cfg.data_root = str(tmp_path / 'toy')
    pipe = Pipeline(cfg, str(tmp_path / 'run'))
    cam = tmp_path / 'run' / 'cam'
    cam.mkdir(parents=True)
    (cam / 'epoch_3.pth').write_bytes(b'x')
    (cam / 'last_checkpoint').write_text(str(cam / 'epoch_3.pth'))
    pre = tmp_path / 'pretrain'  # the shared stage, beside the run
    pre.mkdir()
    (pre / 'epoch_16.pth').write_bytes(b'x')
    (pre / 'last_checkpoint').write_text(str(pre / 'epoch_16.pth'))
    stages = {s.name: s for s in CHAIN}
    irn = Config.fromfile(pipe.stage_config(stages['irn']))
    seg = Config.fromfile(pipe.stage_config(stages['seg']))
    # IRN and DeepLabV3 start from the pretraining, as from ImageNet
    assert irn.model.backbone.init_cfg.checkpoint == str(pre / 'epoch_16.pth')
    assert irn.seed_cfg.cam_dir == irn.pseudo_cfg.cam_dir == str(cam / 'cams')
    assert irn.train_dataloader.dataset.data_prefix.seg_map_path == str(
        cam / 'seeds')
    assert irn.pseudo_cfg.dataset.data_root == cfg.data_root
    assert seg.train_dataloader.dataset.data_prefix.seg_map_path == str(
        tmp_path / 'run' / 'irn' / 'pseudo_masks')
    assert seg.model.backbone.init_cfg.checkpoint == str(pre / 'epoch_16.pth')
    assert seg.val_dataloader.dataset.data_root == cfg.data_root
    text = open(pipe.stage_config(stages['seg'])).read()
    assert 'work_dirs/demo' not in text and 'data/toy_voc' not in text
    assert 'work_dirs/resnet18' not in text  # the pretraining is linked


def test_results_table():
    rec = lambda s, t, **m: dict(stage=s, wall_s=t, metrics=m)  # noqa: E731
    md, table = results_table({
        'a': [rec('cam', 10.04, **{'CAM mIoU': 41.567}),
              rec('seg', 5)],
        'b': [rec('cam', 20, **{'CAM mIoU': 12.0})],
    })
    lines = md.strip().split('\n')
    assert lines[0] == ('| pipeline | CAM mIoU | cam (s) | seg (s) '
                        '| total (s) |')
    assert lines[2] == '| a | 41.57 | 10 | 5 | 15 |'
    assert lines[3] == '| b | 12.00 | 20 | - | 20 |'
    assert table['a']['total_s'] == 15.0


def test_pipeline_config_errors(tmp_path):
    cfg = Config(dict(data_root='x', cam=dict(config='c.py')))
    with pytest.raises(KeyError, match='irn'):
        Pipeline(cfg, str(tmp_path))
    cfg = Config.fromfile(f'{REPO}/configs/pipeline/baseline_toy.py')
    with pytest.raises(ValueError, match='launcher'):
        Pipeline(cfg, str(tmp_path), launcher='slurm')


def test_until_stops_the_chain(tmp_path):
    cfg = Config.fromfile(f'{REPO}/configs/pipeline/baseline_toy.py')
    pipe = Pipeline(cfg, str(tmp_path), until='cam')
    assert [s.name for s in pipe.chain] == ['pretrain', 'cam']
    full = Pipeline(cfg, str(tmp_path))
    assert [s.name for s in full.chain] == [s.name for s in CHAIN]
    with pytest.raises(ValueError, match='until'):
        Pipeline(cfg, str(tmp_path), until='deeplab')


def test_matching_columns_only_where_written(tmp_path):
    """The diagnostics columns come from cams_metrics.json when the CAM
    config wrote them, and are left out (no error) when it did not."""
    cfg = Config.fromfile(f'{REPO}/configs/pipeline/baseline_toy.py')
    pipe = Pipeline(cfg, str(tmp_path / 'run'))
    stage = next(s for s in pipe.chain if s.name == 'cam')
    folder = tmp_path / 'run' / 'cam'
    folder.mkdir(parents=True)
    metrics = {'cam/mIoU': 40.0, 'cam/best_mIoU': 41.0, 'cam/best_thr': 0.1}
    (folder / 'cams_metrics.json').write_text(json.dumps(metrics))
    assert set(pipe.read_metrics(stage)) == {
        'CAM mIoU', 'CAM best mIoU', 'CAM best thr'
    }
    metrics.update({
        'inter/iou': 0.25,
        'inter/split': 0.0,
        'intra/fg_precision': 0.8
    })
    (folder / 'cams_metrics.json').write_text(json.dumps(metrics))
    out = pipe.read_metrics(stage)
    assert (out['M* IoU'], out['M* splits'],
            out['partner precision']) == (0.25, 0.0, 0.8)


def _log(out):
    return out.stdout + out.stderr


@pytest.mark.slow
def test_make_demo_reduced_then_resume(tmp_path):
    data, work = tmp_path / 'toy_voc', tmp_path / 'demo'
    imagenet = tmp_path / 'toy_imagenet'
    opts = '--cfg-options ' + ' '.join(SMOKE)
    out = run_tool([
        'make', 'demo', f'DATA={data}', f'WORK={work}',
        'DATA_OPTS=' + ' '.join(SMALL_TOY_ARGS), f'PRETRAIN_DATA={imagenet}',
        'PRETRAIN_DATA_OPTS=' + ' '.join(SMALL_IMAGENET), f'DEMO_OPTS={opts}'
    ])
    log = _log(out)
    table = json.load(open(work / 'results.json'))
    assert set(table) == {'comnet_toy'}  # make demo's pipeline
    for name, row in table.items():
        m = row['metrics']
        for key in ('CAM mIoU', 'CAM best mIoU', 'RW mIoU', 'DeepLabV3 mIoU',
                    'DeepLabV3+CRF mIoU'):
            assert 0 <= m[key] <= 100, (name, key)
        assert m['CAM best mIoU'] >= m['CAM mIoU']
        assert set(row['wall_s']) == {s.name for s in CHAIN}
        assert osp.isfile(work / 'pretrain' / 'last_checkpoint')
        assert 0 <= m['pretrain top-1'] <= 100
        # the table's numbers are the stages' own metric files
        run = work / name
        cams = json.load(open(run / 'cam' / 'cams_metrics.json'))
        assert m['CAM mIoU'] == cams['cam/mIoU']
        test = json.load(open(run / 'seg_test' / 'test_metrics.json'))
        assert m['DeepLabV3 mIoU'] == test['mIoU']
        assert len(os.listdir(run / 'irn' / 'pseudo_masks')) == 8
    md = open(work / 'results.md').read()
    assert md in log  # printed as written
    for fig in ('cam_overlays', 'pseudo_masks', 'boundary_maps',
                'intra_partners', 'inter_masks', 'predictions'):
        img = np.array(Image.open(work / 'vis' / f'{fig}.png'))
        assert img.ndim == 3 and img.std() > 10, fig

    # a lost output file (a stage incomplete) and the stages after it:
    # test_a_lost_output_reruns_its_stage_and_those_after (fake stages)
    run = work / 'comnet_toy'
    args = [
        sys.executable, 'tools/run_pipeline.py',
        'configs/pipeline/comnet_toy.py', '--work-dir',
        str(work), '--data-root',
        str(data), '--pretrain-data-root',
        str(imagenet), '--no-vis', '--cfg-options', *SMOKE
    ]

    # resume: SIGKILL while the IRN stage writes its pseudo masks (its
    # folder lost first, so that it runs again); the same command again
    # resumes that stage from its checkpoint, keeps the masks it wrote, and
    # ends with the uninterrupted run's numbers (the first run above). Both
    # stop after IRN (--until irn): the stages after it only read its output.
    clean = json.load(open(run / 'irn' / 'stage.json'))['metrics']
    first = table['comnet_toy']['metrics']
    shutil.rmtree(run / 'irn')
    masks = run / 'irn' / 'pseudo_masks'
    kill_after(args + ['--until', 'irn'], masks, '.png', 2)
    done = finished(masks, '.png')
    kept = mtimes(masks, done)
    log = _log(run_tool(args + ['--until', 'irn']))
    assert '[cam] complete, skipped' in log and '[irn] done' in log
    irn_cmd = [
        line for line in log.splitlines()
        if line.startswith('[irn] ') and 'train.py' in line
    ]
    assert irn_cmd and irn_cmd[0].endswith('--resume')  # from its checkpoint
    assert mtimes(masks, done) == kept
    irn_log = open(run / 'irn' / 'stage_output.log').read()
    assert f'wrote {8 - len(done)} pseudo masks of 8' in irn_log
    assert 'RW mIoU' in clean
    assert json.load(open(run / 'irn' / 'stage.json'))['metrics'] == clean
    resumed = json.load(open(work / 'results.json'))['comnet_toy']['metrics']
    assert 'RW mIoU' in resumed
    assert resumed == {k: first[k] for k in resumed}


def test_find_config(tmp_path, monkeypatch):
    """Stage configs named as configs/... resolve from any working
    directory; a missing one is an error naming it."""
    from comnet_mm.pipeline import REPO, find_config
    monkeypatch.chdir(tmp_path)
    assert find_config('configs/cam/cam_toy.py') == osp.join(
        REPO, 'configs/cam/cam_toy.py')
    with pytest.raises(FileNotFoundError, match='nope.py'):
        find_config('configs/nope.py')
    cfg = Config.fromfile(find_config('configs/pipeline/comnet_toy.py'))
    written = Pipeline(cfg, 'run').stage_config(
        next(s for s in CHAIN if s.name == 'cam'))
    assert Config.fromfile(written).model.neck[1].type == 'IntraMatching'


def test_seeds_table_hand_case():
    from comnet_mm.pipeline import seeds_table
    rec = lambda s, t, **m: dict(stage=s, wall_s=t, metrics=m)  # noqa: E731
    md, table = seeds_table({
        'a': {
            0: [rec('cam', 10, **{'CAM mIoU': 40.0})],
            1: [rec('cam', 20, **{'CAM mIoU': 44.0})],
            2: [rec('cam', 30, **{'CAM mIoU': 42.0})]
        },
        'b': {
            0: [rec('cam', 5, **{'CAM mIoU': 10.0})]
        },
    })
    lines = md.strip().split('\n')
    assert lines[0] == '| pipeline | seeds | CAM mIoU | cam (s) |'
    # sample std of 40, 44, 42 is 2
    assert lines[2] == '| a | 0 1 2 | 42.00 ± 2.00 | 20 |'
    assert lines[3] == '| b | 0 | 10.00 ± 0.00 | 5 |'
    assert table['a']['metrics']['CAM mIoU'] == dict(
        mean=42.0, std=2.0, values=[40.0, 44.0, 42.0])
    assert table['a']['seeds'] == [0, 1, 2]


def test_seed_options_and_shared_stage(tmp_path):
    from comnet_mm.pipeline import seed_options
    cfg = Config.fromfile(f'{REPO}/configs/pipeline/comnet_toy.py')
    seeded = seed_options(cfg, 7)
    for key in ('cam', 'irn', 'seg'):
        assert seeded[key]['options']['randomness']['seed'] == 7
    assert 'randomness' not in seeded.pretrain.options  # shared, not seeded
    assert 'randomness' not in cfg.cam.options  # the input is unchanged
    cfg.data_root = str(tmp_path / 'voc')
    cfg.pretrain_data_root = str(tmp_path / 'imagenet')
    pipe = Pipeline(
        cfg,
        str(tmp_path / 'run' / 'comnet_toy' / 'seed0'),
        shared_dir=str(tmp_path / 'run'))
    stages = {s.name: s for s in pipe.chain}
    assert pipe.stage_dir(stages['pretrain']) == str(tmp_path / 'run' /
                                                     'pretrain')
    assert pipe.stage_dir(stages['cam']) == str(tmp_path / 'run' /
                                                'comnet_toy' / 'seed0' / 'cam')
    pre = Config.fromfile(pipe.stage_config(stages['pretrain']))
    assert pre.train_dataloader.dataset.data_root == str(
        tmp_path / 'imagenet')  # its own data, not the pipeline's
    folder = tmp_path / 'run' / 'pretrain'
    (folder / 'epoch_2.pth').write_bytes(b'x')
    (folder / 'last_checkpoint').write_text(str(folder / 'epoch_2.pth'))
    for name in ('cam', 'irn', 'seg'):
        stage_cfg = Config.fromfile(pipe.stage_config(stages[name]))
        init = stage_cfg.model.backbone.init_cfg
        assert init.checkpoint == str(folder / 'epoch_2.pth'), name
    # the seed reaches the config file each stage runs with
    seeded.data_root, seeded.pretrain_data_root = (cfg.data_root,
                                                   cfg.pretrain_data_root)
    spipe = Pipeline(
        seeded,
        str(tmp_path / 'run' / 'comnet_toy' / 'seed7'),
        shared_dir=str(tmp_path / 'run'))
    for stage in spipe.chain:
        if stage.name in ('cam', 'irn', 'seg'):
            written = Config.fromfile(spipe.stage_config(stage))
            assert written.randomness.seed == 7, stage.name
    # a pipeline config without the key has no pretraining stage
    voc = Config.fromfile(f'{REPO}/configs/pipeline/comnet_r50_voc.py')
    assert 'pretrain' not in [
        s.name for s in Pipeline(voc, str(tmp_path / 'x')).chain
    ]


def _fake_stages(monkeypatch) -> list:
    """Replace running a stage by writing its outputs and a stage.json as
    run_stage does (config and defaults digests included); return the list
    of the stages run, in order."""
    ran = []

    def fake_run_stage(self, stage, log=print):
        ran.append(stage.name)
        folder = self.stage_dir(stage)
        os.makedirs(folder, exist_ok=True)
        for f in stage.outputs:
            open(osp.join(folder, f), 'w').close()
        if 'last_checkpoint' in stage.outputs:
            open(osp.join(folder, 'epoch_1.pth'), 'w').close()
            with open(osp.join(folder, 'last_checkpoint'), 'w') as f:
                f.write(osp.join(folder, 'epoch_1.pth'))
        record = dict(stage=stage.name, wall_s=1.0, metrics={})
        record.update(self.stage_digests(stage))
        with open(osp.join(folder, 'stage.json'), 'w') as f:
            json.dump(record, f)
        return record

    monkeypatch.setattr(Pipeline, 'run_stage', fake_run_stage)
    return ran


def test_stale_stages_follow_the_newest_upstream(tmp_path, monkeypatch):
    """A complete stage reruns when a stage before it finished later (here:
    the shared pretraining, redone for another pipeline); up-to-date stages
    are skipped."""
    cfg = Config.fromfile(f'{REPO}/configs/pipeline/baseline_toy.py')
    ran = _fake_stages(monkeypatch)
    a = Pipeline(cfg, str(tmp_path / 'a'))
    a.run(log=lambda s: None)
    assert ran == [s.name for s in a.chain]
    ran.clear()
    a.run(log=lambda s: None)
    assert ran == []
    # the shared stage is redone (newer stage.json): everything after reruns
    pre = tmp_path / 'pretrain' / 'stage.json'
    os.utime(pre, ns=(os.stat(pre).st_mtime_ns + 10**9, ) * 2)
    a.run(log=lambda s: None)
    assert ran == [s.name for s in a.chain if s.name != 'pretrain']
    assert any(d.startswith('cam.stale-') for d in os.listdir(tmp_path / 'a'))


def test_a_lost_output_reruns_its_stage_and_those_after(tmp_path, monkeypatch):
    """A stage whose output file is gone is incomplete: it runs again in its
    own folder (not moved aside), and the stages after it are stale, moved
    aside (not deleted) and run again; the stages before it are skipped,
    and the results table says which."""
    ran = _fake_stages(monkeypatch)
    cfg = Config.fromfile(f'{REPO}/configs/pipeline/baseline_toy.py')
    names = [s.name for s in CHAIN]
    Pipeline(cfg, str(tmp_path / 'a')).run(log=lambda s: None)
    ran.clear()
    lost = next(s for s in CHAIN if s.name == 'seg_test')
    os.remove(tmp_path / 'a' / 'seg_test' / lost.outputs[0])
    logs = []
    records = Pipeline(cfg, str(tmp_path / 'a')).run(log=logs.append)
    assert ran == ['seg_test', 'seg_test_crf']
    for stage in names[:names.index('seg_test')]:
        assert f'[{stage}] complete, skipped (1 s when it ran)' in logs
    folders = os.listdir(tmp_path / 'a')
    assert len([d for d in folders
                if d.startswith('seg_test_crf.stale-')]) == 1
    assert not any(d.startswith('seg_test.stale-') for d in folders)
    _, table = results_table({'a': records})
    assert table['a']['skipped'] == names[:names.index('seg_test')]


def test_a_changed_config_reruns_its_stage_and_those_after(
        tmp_path, monkeypatch):
    """A complete stage whose config would now be written differently (an
    option, a value in its file) runs again, and the stages after it with
    it; the stages before it and a comment-only edit are left alone."""
    ran = _fake_stages(monkeypatch)
    cfg = Config.fromfile(f'{REPO}/configs/pipeline/baseline_toy.py')
    names = [s.name for s in CHAIN]
    Pipeline(cfg, str(tmp_path / 'a')).run(log=lambda s: None)
    ran.clear()
    cfg.irn.options = {'train_cfg.max_epochs': 1}
    logs = []
    Pipeline(cfg, str(tmp_path / 'a')).run(log=logs.append)
    assert ran == names[names.index('irn'):]
    assert any(m.startswith('[irn] its config changed') for m in logs)
    assert any(d.startswith('irn.stale-') for d in os.listdir(tmp_path / 'a'))
    ran.clear()
    Pipeline(cfg, str(tmp_path / 'a')).run(log=lambda s: None)
    assert ran == []
    # the value in the file itself: a copy of the CAM config, edited
    source = open(f'{REPO}/configs/cam/cam_toy.py').read()
    copy = tmp_path / 'cam_copy.py'
    base = f'{REPO}/configs/cam/'
    copy.write_text(source.replace("'../", f"'{base}../"))
    cfg.cam.config = str(copy)
    Pipeline(cfg, str(tmp_path / 'a')).run(log=lambda s: None)
    assert ran == []  # the same content under another name
    copy.write_text(copy.read_text() + '\n# a comment changes nothing\n')
    Pipeline(cfg, str(tmp_path / 'a')).run(log=lambda s: None)
    assert ran == []
    copy.write_text(copy.read_text().replace('max_epochs=8', 'max_epochs=7'))
    Pipeline(cfg, str(tmp_path / 'a')).run(log=lambda s: None)
    assert ran == names[names.index('cam'):]
    # a stage.json from before digests were kept cannot vouch for its run
    ran.clear()
    done = tmp_path / 'a' / 'seg' / 'stage.json'
    done.write_text(
        json.dumps({
            k: v
            for k, v in json.loads(done.read_text()).items()
            if k != 'config_digest'
        }))
    Pipeline(cfg, str(tmp_path / 'a')).run(log=lambda s: None)
    assert ran == names[names.index('seg'):]


def test_a_changed_module_default_reruns_the_stages_that_build_it(
        tmp_path, monkeypatch):
    """The same configs with another default of a comnet_mm module (here
    IntraMatching's partner metric, which comnet_toy.py leaves to the code)
    rerun the stage whose config names the module and the stages after it;
    a module no config of the pipeline names changes nothing; a stage.json
    from before defaults digests were kept counts as changed."""
    from comnet_mm.models.necks.intra_matching import IntraMatching
    ran = _fake_stages(monkeypatch)
    names = [s.name for s in CHAIN]
    work = tmp_path / 'a'
    base = Config.fromfile(f'{REPO}/configs/pipeline/baseline_toy.py')
    comnet = Config.fromfile(f'{REPO}/configs/pipeline/comnet_toy.py')
    Pipeline(comnet, str(work)).run(log=lambda s: None)
    Pipeline(base, str(tmp_path / 'b')).run(log=lambda s: None)
    ran.clear()
    defaults = IntraMatching.__init__.__defaults__
    assert defaults[-1] == 'l2'  # metric, the last keyword
    monkeypatch.setattr(IntraMatching.__init__, '__defaults__',
                        defaults[:-1] + ('cosine', ))
    Pipeline(base, str(tmp_path / 'b')).run(log=lambda s: None)
    assert ran == []  # the baseline builds no IntraMatching
    logs = []
    Pipeline(comnet, str(work)).run(log=logs.append)
    assert ran == names[names.index('cam'):]
    assert any(
        m.startswith("[cam] its modules' defaults changed")
        for m in logs), logs
    ran.clear()
    Pipeline(comnet, str(work)).run(log=lambda s: None)
    assert ran == []
    # a stage.json without the defaults digest cannot vouch for its run
    done = work / 'seg' / 'stage.json'
    done.write_text(
        json.dumps({
            k: v
            for k, v in json.loads(done.read_text()).items()
            if k != 'defaults_digest'
        }))
    logs = []
    Pipeline(comnet, str(work)).run(log=logs.append)
    assert ran == names[names.index('seg'):]
    assert any('has no defaults_digest' in m for m in logs), logs


def test_a_partial_run_resumes_only_on_its_own_config(tmp_path, monkeypatch):
    """An incomplete stage resumes in place on the config it started on; on
    another config, after a newer upstream, or with no record of its start
    (an older run) its folder is moved aside and it starts from scratch."""
    ran = _fake_stages(monkeypatch)
    cfg = Config.fromfile(f'{REPO}/configs/pipeline/baseline_toy.py')
    names = [s.name for s in CHAIN]
    work = tmp_path / 'a'
    Pipeline(cfg, str(work)).run(log=lambda s: None)
    start = json.loads((work / 'irn' / 'stage_start.json').read_text())
    assert start['config_digest'] == json.loads(
        (work / 'irn' / 'stage.json').read_text())['config_digest']

    def kill_irn():  # killed mid-way: no stage.json, a checkpoint and a file
        (work / 'irn' / 'stage.json').unlink()
        (work / 'irn' / 'half_done.npy').write_text('x')
        ran.clear()

    def rerun(reason=None, asides_after=0):
        """Resume the killed IRN stage; it moved aside (with ``reason``
        logged) or resumed in place, and the stages from it ran."""
        logs = []
        Pipeline(cfg, str(work)).run(log=logs.append)
        assert ran == names[names.index('irn'):]
        moved = sorted(
            d for d in os.listdir(work) if d.startswith('irn.stale-'))
        assert len(moved) == asides_after
        assert (work / 'irn' / 'half_done.npy').exists() == (reason is None)
        if reason:
            assert any(m.startswith(f'[irn] {reason}') for m in logs), logs

    kill_irn()
    rerun()
    kill_irn()
    cfg.irn.options = {'train_cfg.max_epochs': 1}
    rerun('its partial run: its config changed', 1)
    kill_irn()
    (work / 'irn' / 'stage_start.json').unlink()
    rerun('its partial run: no stage_start.json', 2)
    # the CAM stage finished again after the IRN stage's partial run began
    kill_irn()
    os.utime(work / 'irn' / 'stage_start.json', ns=(1, 1))
    rerun('its partial run: an earlier stage ran again', 3)


def test_source_digest_is_the_content():
    entry = dict(config='configs/cam/cam_toy.py')
    assert source_digest(entry) == source_digest(dict(entry, options={}))
    assert source_digest(entry) != source_digest(
        dict(entry, options={'train_cfg.max_epochs': 7}))
    assert digest(dict(a=1, b=[1, 2])) == digest(dict(b=(1, 2), a=1))


def test_pretrain_metric_from_the_scalar_log(tmp_path):
    """The pretraining's top-1 is the last value mmengine logged, from the
    newest run's scalars.json."""
    cfg = Config.fromfile(f'{REPO}/configs/pipeline/baseline_toy.py')
    pipe = Pipeline(cfg, str(tmp_path / 'baseline_toy'))
    stage = next(s for s in pipe.chain if s.name == 'pretrain')
    old = tmp_path / 'pretrain' / '20260101_000000' / 'vis_data'
    new = tmp_path / 'pretrain' / '20260102_000000' / 'vis_data'
    for folder, top1 in ((old, 90.0), (new, 40.0)):
        folder.mkdir(parents=True)
        (folder / 'scalars.json').write_text(
            json.dumps({
                'loss': 1.0,
                'step': 1
            }) + '\n' + json.dumps({
                'accuracy/top1': top1 - 10,
                'step': 4
            }) + '\n' + json.dumps({
                'accuracy/top1': top1,
                'step': 8
            }) + '\n' + json.dumps({
                'loss': 0.5,
                'step': 9
            }) + '\n')
    os.utime(old / 'scalars.json', (1, 1))
    assert pipe.read_metrics(stage) == {'pretrain top-1': 40.0}


@pytest.mark.slow
def test_seeds_end_to_end(toy_root, tmp_path):
    """--seeds runs the pipeline once per seed in <work>/<name>/seed<k>
    (each stage config seeded), the pretraining once for all, and the table
    is the mean +- std of the seeds' own metric files. Up to the CAM stage
    (``--until cam``): every stage is seeded by the same ``seed_options``,
    and test_seed_options_and_shared_stage checks the seed in each stage's
    written config."""
    imagenet = small_imagenet(tmp_path / 'imagenet')
    work = tmp_path / 'bench'
    run_tool([
        sys.executable, 'tools/run_pipeline.py',
        'configs/pipeline/baseline_toy.py', '--seeds', '0', '1', '--work-dir',
        str(work), '--data-root', toy_root, '--pretrain-data-root', imagenet,
        '--no-vis', '--until', 'cam', '--cfg-options', *SMOKE
    ])
    table = json.load(open(work / 'results_seeds.json'))['baseline_toy']
    assert not osp.exists(work / 'results.json')
    assert table['seeds'] == [0, 1]
    cams = []
    for k in (0, 1):
        run = work / 'baseline_toy' / f'seed{k}'
        assert Config.fromfile(str(run / 'cam' /
                                   'config.py')).randomness.seed == k
        assert not osp.exists(run / 'irn')
        cams.append(
            json.load(open(run / 'cam' / 'cams_metrics.json'))['cam/mIoU'])
    m = table['metrics']['CAM mIoU']
    assert m['values'] == cams
    assert m['mean'] == pytest.approx(sum(cams) / 2)
    assert m['std'] == pytest.approx(abs(cams[0] - cams[1]) / 2**0.5)
    assert not osp.exists(work / 'baseline_toy' / 'seed0' / 'pretrain')
    assert len(table['wall_s']['pretrain']) == 2  # the same shared run
    assert ' ± ' in open(work / 'results_seeds.md').read()
