"""The one part of the build pyproject.toml cannot declare without setuptools'
experimental table: the tree ensembles' walk in C (models/_tree_walk.pyx).

Optional: where no C compiler is at hand the install still succeeds and
models.forest walks with numpy, to the same scores (`riskmon config` says
which walk is in force).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("models._tree_walk", ["models/_tree_walk.pyx"], optional=True)])
