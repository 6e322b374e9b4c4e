"""The `converged` fixture: setup steps run once per pytest run, also under pytest-xdist."""

from __future__ import annotations

import json
from pathlib import Path

import filelock
import pytest

from pytest_glustercheck.session import GlusterRun
from setup_steps.context import SetupReport
from setup_steps.runner import converge

REPORT_KEY = pytest.StashKey[SetupReport]()
REPORT_FILE = "glustercheck-setup.json"


def shared_dir(config: pytest.Config) -> Path:
    """A directory the xdist controller and all its workers share: the controller's basetemp."""
    base = config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
    return base.parent if hasattr(config, "workerinput") else base


@pytest.fixture(scope="session")
def converged(request: pytest.FixtureRequest, run: GlusterRun) -> SetupReport:
    config = request.config
    directory = shared_dir(config)
    if hasattr(config, "workerinput"):
        run.share_dir = directory  # xdist: each fact script once per run, not once per worker
    if not config.option.apply:
        # Nothing will change: gather facts while the steps check (and a dead node times out).
        run.prefetch()
    result = directory / REPORT_FILE
    with filelock.FileLock(str(directory / (REPORT_FILE + ".lock"))):
        if result.exists():
            report = SetupReport.from_json(json.loads(result.read_text()))
        else:
            report = converge(run, apply=config.option.apply,
                              replace_hosts_conflicts=config.option.replace_hosts_conflicts)
            result.write_text(json.dumps(report.to_json(), indent=2))
    config.stash[REPORT_KEY] = report
    return report


def load_report(config: pytest.Config) -> SetupReport | None:
    path = shared_dir(config) / REPORT_FILE
    return SetupReport.from_json(json.loads(path.read_text())) if path.exists() else None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    report = load_report(config)
    if report is not None:
        terminalreporter.section("setup steps")
        for line in report.summary_lines():
            terminalreporter.write_line(line)
