"""The package imports one way, every import at the top of its file, and the
torch-only modules import with torch alone."""
import ast
import os.path as osp
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / 'comnet_mm'

#: Lower layers first; a module may import its own package and lower layers.
LAYERS = [
    {'registry', 'utils', 'structures', 'toy'},
    {'datasets', 'models', 'evaluation'},
    {'cams'},
    {'irn'},
    {'engine'},
    {'pipeline'},
    {'ablations', 'visualization'},
    {'__init__'},
]


def layer_of(top: str) -> int:
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f'comnet_mm.{top} is in no layer of {LAYERS}')


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix('')
    parts = list(rel.parts)
    if parts[-1] == '__init__':
        parts = parts[:-1]
    return '.'.join(parts)


def imported_modules(path: Path, tree: ast.Module):
    """(node, absolute dotted name) of each import of ours in the file."""
    name = module_name(path)
    package = name if path.name == '__init__.py' else name.rpartition('.')[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split('.')[0] == 'comnet_mm':
                    yield node, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[:len(base) - node.level + 1]
                mod = '.'.join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ''
            if mod.split('.')[0] != 'comnet_mm':
                continue
            if node.module is None or mod == 'comnet_mm':
                # ``from . import a, b``: each name is a submodule
                for alias in node.names:
                    yield node, f'{mod}.{alias.name}'
            else:
                yield node, mod


def sources():
    return sorted(PACKAGE.rglob('*.py'))


def test_every_import_of_ours_is_at_module_level():
    nested = []
    for path in sources():
        tree = ast.parse(path.read_text())
        top_level = {id(n) for n in tree.body}
        for node, mod in imported_modules(path, tree):
            if id(node) not in top_level:
                nested.append(f'{path.relative_to(ROOT)}:{node.lineno} {mod}')
    assert not nested, nested


def test_layers_import_downwards_only():
    wrong = []
    for path in sources():
        name = module_name(path)
        parts = name.split('.')
        top = parts[1] if len(parts) > 1 else '__init__'
        if top.endswith('.py'):
            top = top[:-3]
        mine = layer_of(top)
        for node, mod in imported_modules(path, ast.parse(path.read_text())):
            other = mod.split('.')[1] if '.' in mod else '__init__'
            if other == top:
                continue
            if layer_of(other) >= mine:
                wrong.append(f'{path.relative_to(ROOT)}:{node.lineno} '
                             f'({top}, layer {mine}) imports {mod} '
                             f'(layer {layer_of(other)})')
    assert not wrong, wrong


def test_module_graph_has_no_cycle():
    """Within a package too (the layer check allows same-package imports)."""
    names = {module_name(p): p for p in sources()}
    graph = {}
    for name, path in names.items():
        deps = set()
        for _, mod in imported_modules(path, ast.parse(path.read_text())):
            # ``from pkg.mod import x`` depends on pkg.mod (or pkg/__init__)
            while mod and mod not in names:
                mod = mod.rpartition('.')[0]
            if mod and mod != name:
                deps.add(mod)
        graph[name] = deps
    # a package's __init__ importing its own submodules is the one
    # expected edge downward; a cycle would need a submodule to import
    # its package's __init__ back, which is what is checked below
    state = {}

    def visit(node, stack):
        state[node] = 'open'
        for dep in graph[node]:
            if state.get(dep) == 'open':
                raise AssertionError(' -> '.join(stack + [node, dep]))
            if dep not in state:
                visit(dep, stack + [node])
        state[node] = 'done'

    for node in graph:
        if node not in state:
            visit(node, [])


def test_layer_checker_sees_a_wrong_import(tmp_path):
    """The checker itself: an upward import and a nested one are found."""
    pkg = tmp_path / 'comnet_mm' / 'models'
    pkg.mkdir(parents=True)
    bad = pkg / 'bad.py'
    bad.write_text('from comnet_mm.irn import random_walk\n\n\n'
                   'def f():\n    from ..cams import inference\n')
    global ROOT
    old = ROOT
    ROOT = tmp_path
    try:
        found = list(imported_modules(bad, ast.parse(bad.read_text())))
    finally:
        ROOT = old
    assert [m for _, m in found] == ['comnet_mm.irn', 'comnet_mm.cams']
    assert layer_of('irn') > layer_of('models')


ALONE = '''
import os, sys, traceback
# the third-party stack once; each comnet_mm module then in a forked child
# that has none of ours loaded: a fresh interpreter as far as we go
import torch, mmcv, mmengine, mmseg.models, mmpretrain.models  # noqa
failed = []
for name in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        try:
            __import__(name)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    if os.waitpid(pid, 0)[1] != 0:
        failed.append(name)
print('failed:', ' '.join(failed))
'''


def test_each_module_imports_alone():
    """Each module imported first, in a process holding none of ours, imports
    cleanly. Importing any module runs the package's ``__init__`` first, so
    this cannot see an order-dependent cycle on its own: the module-graph
    test above is what rules cycles out."""
    modules = sorted(module_name(p) for p in sources())
    out = subprocess.run([sys.executable, '-c', ALONE, *modules],
                         capture_output=True,
                         text=True,
                         cwd=str(ROOT))
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == 'failed:', out.stderr[-3000:]


TORCH_ONLY = '''
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('mmengine', 'mmcv', 'mmseg', 'mmpretrain'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
sys.path.insert(0, {bench!r})
import torch
from _load import load
rw = load('irn/random_walk.py')
inter = load('models/necks/inter_matching.py')
intra = load('models/necks/intra_matching.py')
b = torch.rand(6, 7)
out = rw.random_walk(torch.rand(2, 6, 7), b, steps=4, radius=3)
assert out.shape == (2, 6, 7)
x = torch.rand(2, 8, 5, 5)
assert intra.IntraMatching(8, k=3)((x, ))[-1].shape == x.shape
assert 'mmengine' not in sys.modules and 'comnet_mm.utils' not in sys.modules
print('ok')
'''


def test_walk_and_necks_import_with_torch_alone():
    """What the GPU machine has: torch and no OpenMMLab."""
    code = TORCH_ONLY.format(bench=osp.join(str(ROOT), 'benchmarks'))
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         cwd=str(ROOT))
    assert out.returncode == 0 and out.stdout.strip() == 'ok', out.stderr
