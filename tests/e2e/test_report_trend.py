"""Nightly trend on the simulated cluster: a fault injected between two nightly runs is listed as
NEW (stdout, summary.json, HTML); a run after the fault is removed lists it as FIXED."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simcluster import SimCluster
from tests.e2e.suite_runner import SuiteRun, run_suite, wait_healthy

pytestmark = pytest.mark.e2e

FAULT_CHECK = "test_brick_filesystems_have_room[rpi3]"
FILLER = "/mnt/usb/glustercheck-e2e-filler"  # beside the brick directory, not in it


def nightly(workdir: Path, reports: Path) -> SuiteRun:
    return run_suite(workdir, "--nightly", f"--report-dir={reports}", "--keep", "5",
                     f"--html={reports / 'nightly.html'}", "--self-contained-html")


def trend(reports: Path) -> dict:
    return json.loads((reports / "summary.json").read_text())["trend"]


def ids(items: list[dict]) -> set[str]:
    return {item["id"].rsplit("::", 1)[-1] for item in items}


def test_fault_between_nightly_runs_is_new_then_fixed(healthy: SimCluster, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    first = nightly(tmp_path / "runs", reports)
    assert first.rc == 0, first.describe()

    # All but 1 MB of what is free: > 90 % used on the USB stick (ext4 keeps 5 % for root and its
    # journal, so a fixed 122 MB of its 128 MB no longer fits).
    healthy.exec("rpi3", ["sh", "-c", "fallocate -l $(( $(df --output=avail -B1M /mnt/usb | tail -1)"
                                      f" - 1 ))M {FILLER}"])
    second = nightly(tmp_path / "runs", reports)
    assert second.rc == 1, second.describe()  # degraded
    new = ids(trend(reports)["new"])
    assert FAULT_CHECK in new
    assert trend(reports)["fixed"] == []
    assert new == {FAULT_CHECK}, second.describe()  # the other nodes and checks are fine
    assert f"NEW        checks/test_capacity.py::{FAULT_CHECK}" in second.stdout
    html = (reports / "nightly.html").read_text()
    assert "NEW</span> checks/test_capacity.py::" + FAULT_CHECK in html

    healthy.exec("rpi3", ["rm", "-f", FILLER])
    wait_healthy(healthy)
    third = nightly(tmp_path / "runs", reports)
    assert third.rc == 0, third.describe()
    assert FAULT_CHECK in ids(trend(reports)["fixed"])
    assert trend(reports)["new"] == []
    assert f"FIXED      checks/test_capacity.py::{FAULT_CHECK}" in third.stdout
    assert len(list((reports / "history").glob("summary-*.json"))) == 3
