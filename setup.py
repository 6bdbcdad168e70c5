"""Packaging: metadata in setup.cfg. As mmseg and mmpretrain do (their
``.mim`` folder), a built package carries the repository's ``configs/`` and
``tools/`` in ``comnet_mm/.mim/``, so the pipeline finds the stage tools and
configs after a non-editable ``pip install .`` (see ``comnet_mm.pipeline``)."""
import os.path as osp
import shutil
from setuptools import setup
from setuptools.command.build_py import build_py

HERE = osp.dirname(osp.abspath(__file__))
SHIPPED = ('configs', 'tools')


class BuildPyWithMim(build_py):
    """build_py, then copy configs/ and tools/ into <build>/comnet_mm/.mim."""

    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads the checkout
            return
        for folder in SHIPPED:
            dst = osp.join(self.build_lib, 'comnet_mm', '.mim', folder)
            if osp.isdir(dst):
                shutil.rmtree(dst)
            shutil.copytree(
                osp.join(HERE, folder),
                dst,
                ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


setup(cmdclass={'build_py': BuildPyWithMim})
