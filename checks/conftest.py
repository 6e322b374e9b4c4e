"""The checks' own wiring: the setup steps run once per pytest run before the first check.

This is the one place where the pytest plugin (run, shared state, xdist) meets the setup steps
(pure planners): the layers below know nothing of each other.
"""

from __future__ import annotations

import pytest

from glustercheck.actions import SetupReport
from glustercheck.run import GlusterRun
from glustercheck_setup_steps import converge
from pytest_glustercheck.fixtures import setup_once


@pytest.fixture(scope="session")
def converged(request: pytest.FixtureRequest, run: GlusterRun) -> SetupReport:
    option = request.config.option
    return setup_once(request.config, lambda progress: converge(
        run, apply=option.apply, replace_hosts_conflicts=option.replace_hosts_conflicts,
        progress=progress))
