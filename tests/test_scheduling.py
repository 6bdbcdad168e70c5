"""How `make test` hands tests to its workers (``-n 2 --dist loadgroup``):
an ``xdist_group`` stays on one worker, and :data:`conftest.LONGEST` names
real tests. Both fail silently otherwise: a split group builds its shared
fixture on each worker (a minute lost), a stale name just stops counting."""
import ast
import glob
import os
import os.path as osp
import re
import subprocess
import sys

from conftest import LONGEST, REPO

GROUPED = '''
import os
import pytest

@pytest.fixture(scope='module')
def shared():
    with open(os.environ['SETUPS'], 'a') as f:
        f.write(os.environ['PYTEST_XDIST_WORKER'] + chr(10))

@pytest.mark.xdist_group('pair')
def test_first(shared):
    pass

@pytest.mark.xdist_group('pair')
def test_second(shared):
    pass
'''

FILLER = '''
import time

def test_filler_{i}():
    time.sleep(0.2)
'''


def test_loadgroup_keeps_an_xdist_group_on_one_worker(tmp_path):
    """With pytest 9.2.0 and pytest-xdist 3.8.0 the group suffix xdist writes
    into the node id is lost (pytest-dev/pytest-xdist#1386) and the pair
    splits; requirements/ci.txt pins the pytest under which it holds."""
    (tmp_path / 'pytest.ini').write_text('[pytest]\n')
    (tmp_path / 'test_grouped.py').write_text(GROUPED)
    for i in range(6):
        (tmp_path / f'test_filler_{i}.py').write_text(FILLER.format(i=i))
    setups = tmp_path / 'setups.txt'
    out = subprocess.run([
        sys.executable, '-m', 'pytest', '-n', '2', '--dist', 'loadgroup', '-v',
        '-p', 'no:cacheprovider', '-c',
        str(tmp_path / 'pytest.ini'),
        str(tmp_path)
    ],
                         cwd=tmp_path,
                         env=dict(os.environ, SETUPS=str(setups)),
                         capture_output=True,
                         text=True,
                         timeout=300)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-3000:]
    workers = {
        name: gw
        for gw, name in re.findall(r'\[(gw\d+)\].*PASSED \S*::(test_\w+)@pair',
                                   log)
    }
    assert set(workers) == {'test_first', 'test_second'}, log[-3000:]
    assert workers['test_first'] == workers['test_second'], log[-3000:]
    assert len(re.findall(r'PASSED', log)) == 8, log[-3000:]
    # the pair's module fixture was made once, on that worker
    assert setups.read_text().split() == [workers['test_first']]


def test_longest_names_real_tests():
    """Each name in LONGEST is a test function of tests/, once."""
    defined = []
    for path in glob.glob(osp.join(REPO, 'tests', 'test_*.py')):
        with open(path) as f:
            tree = ast.parse(f.read(), path)
        defined += [
            node.name for node in ast.walk(tree) if
            isinstance(node, ast.FunctionDef) and node.name.startswith('test_')
        ]
    for name in LONGEST:
        assert defined.count(name) == 1, (name, defined.count(name))
