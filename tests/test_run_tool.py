"""The tests' ``run_tool``: a repository tool run in a child forked from the
test process behaves as the same command in a cold interpreter."""
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from conftest import REPO, SMALL_TOY_ARGS, _wait, run_tool

TOOL = 'tools/dataset_converters/make_toy_voc.py'


def cold(args):
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, *args],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True)


def files(root):
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, 'rb') as f:
                out[os.path.relpath(path, root)] = f.read()
    return out


def test_a_forked_tool_run_equals_a_cold_one(tmp_path):
    """The same files byte for byte, the same printed statistics, the same
    exit status and usage message for bad arguments; the test process's
    own torch threads are left as they were."""
    threads = torch.get_num_threads()
    args = [TOOL, str(tmp_path / 'forked'), *SMALL_TOY_ARGS]
    forked = run_tool([sys.executable, *args])
    assert forked.args[1] == os.path.join(REPO, TOOL)  # the forked path
    args[1] = str(tmp_path / 'cold')
    reference = cold(args)
    assert reference.returncode == 0, reference.stderr
    made = files(tmp_path / 'forked')
    assert len(made) > 50 and made == files(tmp_path / 'cold')
    # the statistics printed after the timing line
    assert forked.stdout.split('\n')[1:] == reference.stdout.split('\n')[1:]
    assert torch.get_num_threads() == threads
    # argparse's exit: status 2 and its usage message, both ways
    bad = [TOOL, str(tmp_path / 'x'), '--num-train', 'many']
    with pytest.raises(AssertionError, match='exited 2') as info:
        run_tool([sys.executable, *bad])
    reference = cold(bad)
    assert reference.returncode == 2
    assert "invalid int value: 'many'" in reference.stderr
    assert "invalid int value: 'many'" in str(info.value)


def _child(seconds, code):
    pid = os.fork()
    if pid == 0:
        time.sleep(seconds)
        os._exit(code)
    return pid


def test_wait_returns_the_status_or_kills_on_stop_or_timeout():
    """conftest's ``_wait`` (under ``run_tool`` and ``kill_after``): a child
    that ends is reaped with its exit code; one still running is killed as
    soon as ``stop()`` holds (not a timeout) or once the timeout passes."""
    pid = _child(0.1, 3)
    status, late = _wait(pid, 30, 0.01, lambda: os.kill(pid, signal.SIGKILL))
    assert (os.waitstatus_to_exitcode(status), late) == (3, False)
    pid = _child(30, 0)
    start = time.time()
    status, late = _wait(pid, 30, 0.01, lambda: os.kill(pid, signal.SIGKILL),
                         lambda: time.time() - start > 0.2)
    assert os.waitstatus_to_exitcode(status) == -signal.SIGKILL
    assert not late and time.time() - start < 10
    pid = _child(30, 0)
    status, late = _wait(pid, 0.2, 0.01, lambda: os.kill(pid, signal.SIGKILL),
                         lambda: False)
    assert (os.waitstatus_to_exitcode(status), late) == (-signal.SIGKILL, True)
