"""Where the installed checks live, and supplying them when the command line names no test paths.

The checks ship as the package `glustercheck_checks` (the checkout's top-level `checks/`, mapped
by setuptools' package-dir). `pytest --hosts=rpi0..rpi3` from any directory then runs them, and a
user's own test files in that directory still run after them.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import pytest

CHECKS_PACKAGE = "glustercheck_checks"


@functools.cache
def checks_dir() -> Path | None:
    spec = importlib.util.find_spec(CHECKS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def _covers(arg: str, target: Path, base: Path) -> bool:
    """Whether collecting `arg` (a path, maybe with ::name) collects `target`, or part of it."""
    path = (base / arg.split("::", 1)[0]).resolve()
    return path == target or target in path.parents or path in target.parents


def checks_requested(config: pytest.Config) -> bool:
    """Whether this run's test arguments include the checks (so it needs a cluster)."""
    target = checks_dir()
    base = config.invocation_params.dir
    return target is not None and any(_covers(a, target, base) for a in config.args)


def supply_checks(config: pytest.Config) -> None:
    """Put the checks first when no test path was typed (`testpaths` or the current directory)."""
    target = checks_dir()
    if target is None or config.args_source == pytest.Config.ArgsSource.ARGS:
        return
    if not checks_requested(config):
        config.args = [str(target), *config.args]


def canonical_id(nodeid: str, path: Path | None) -> str:
    """A check's id wherever the checks are installed: `checks/test_x.py::test_y[rpi0]`."""
    target = checks_dir()
    if path is None or target is None or target not in path.parents:
        return nodeid
    rest = nodeid.split("::", 1)[1] if "::" in nodeid else ""
    return f"checks/{path.relative_to(target).as_posix()}" + (f"::{rest}" if rest else "")
