"""The wheel as a user installs it: the checks and setup steps ship as packages of their own, with
the pytest entry point. Running it (converge, check, a user's own tests, their SSH setup) is in
test_user_login.py, on the same installation (the session's `installed` fixture)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import Installed
from tests.e2e.suite_runner import ALL_CHECKS, NODES, SPEC, ConvergedCluster

pytestmark = pytest.mark.e2e



def _passed(result: subprocess.CompletedProcess[str]) -> int:
    last = result.stdout.strip().splitlines()[-1]
    return int(last.split(" passed")[0].split()[-1]) if " passed" in last else 0


def test_wheel_carries_the_checks_and_steps_not_the_checkout(installed: Installed) -> None:
    site = next((installed.venv / "lib").glob("python3*/site-packages"))
    for package in ("glustercheck", "pytest_glustercheck", "glustercheck_checks",
                    "glustercheck_setup_steps"):
        assert (site / package / "__init__.py").exists(), package
    assert not (site / "checks").exists()
    assert not (site / "setup_steps").exists()
    entry_points = next(site.glob("gluster_verify-*.dist-info")) / "entry_points.txt"
    assert "glustercheck = pytest_glustercheck.plugin" in entry_points.read_text()


def test_installed_suite_converges_and_checks_from_an_empty_directory(
        sim, converged_cluster: ConvergedCluster, installed: Installed, tmp_path: Path) -> None:
    converged_cluster.invalidate()
    sim.fresh()
    work = tmp_path / "empty"
    work.mkdir()
    common = ["--hosts=rpi0..rpi3", f"--spec={SPEC}"]
    first = installed.pytest(work, *common, "--apply", "--replace-hosts-conflicts")
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    assert _passed(first) == ALL_CHECKS, first.stdout[-3000:]
    second = installed.pytest(work, *common, "--apply", "--replace-hosts-conflicts")
    assert second.returncode == 0, second.stdout[-4000:]
    assert "setup steps (apply, " in second.stdout
    assert "): 0 change(s)" in second.stdout
    check = installed.pytest(work, *common, "--html=report.html", "--self-contained-html")
    assert check.returncode == 0, check.stdout[-4000:]
    assert _passed(check) == ALL_CHECKS
    assert "HEALTHY: 45 checks passed" in check.stdout
    html = (work / "report.html").read_text()
    assert 'id="gc-summary"' in html
    assert "HEALTHY" in html
    assert (work / "reports" / "summary.json").exists()
    # The user's own testinfra test next to the checks: same nodes, same connections, same ids.
    (work / "test_mine.py").write_text(
        "def test_glusterd_answers(host):\n"
        "    assert host.run('hostname').stdout.strip() == host.backend.hostname\n"
        "    assert host.run('gluster --mode=script pool list').rc == 0\n")
    mine = installed.pytest(work, f"--spec={SPEC}", "-v")
    assert mine.returncode == 0, mine.stdout[-4000:]
    for node in NODES:
        assert f"test_mine.py::test_glusterd_answers[{node}] PASSED" in mine.stdout, mine.stdout
    assert _passed(mine) == ALL_CHECKS + len(NODES)
    assert os.listdir(installed.home) == [] or all(
        not name.startswith("gluster") for name in os.listdir(installed.home))
    converged_cluster.adopt()
