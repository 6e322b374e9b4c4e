"""A pytest plugin for the benchmark (`-p suitebench.phase_timer`): wall-clock marks of one run's
phases, written as JSON to $SUITEBENCH_PHASES when pytest ends. The benchmark subtracts the time
it launched the process, so start-up (interpreter, pytest, plugins, spec) is counted too.

Marks: configured (every plugin loaded and configured), collected, first_test (the first test's
setup starts: setup steps and fact gathering happen inside it), first_setup_s (that setup's
duration), last_test (the last test's teardown ended), unconfigure. Only the controller writes.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

MARKS: dict[str, float] = {}


def _mark(name: str) -> None:
    MARKS.setdefault(name, time.time())


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    _mark("configured")


def pytest_collection_finish(session: pytest.Session) -> None:
    _mark("collected")


def pytest_runtest_logstart(nodeid: str, location: object) -> None:
    _mark("first_test")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "setup":
        MARKS.setdefault("first_setup_s", report.duration)
    if report.when == "teardown":
        MARKS["last_test"] = time.time()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    path = os.environ.get("SUITEBENCH_PHASES")
    if path and not hasattr(config, "workerinput"):
        MARKS["unconfigure"] = time.time()
        Path(path).write_text(json.dumps(MARKS))
