"""The nightly command the systemd/cron units run, against the simulated cluster, and its HTML
report rendered by a real browser (Debian's headless chromium): summary in the DOM, a screenshot."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from simcluster import SimConfig

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SPEC = SimConfig().spec_file
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GLUSTERCHECK_SPEC"))}


def _run(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, env=_env(), capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.fixture(scope="module")
def nightly(sim, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Converge a fresh cluster once (--apply), then run the nightly command twice."""
    sim.fresh()
    work = tmp_path_factory.mktemp("nightly")
    converge = _run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--spec={SPEC}",
                     "--apply", "--replace-hosts-conflicts", f"--report-dir={work / 'converge'}",
                     "-n", "4", "-q"], timeout=300)
    assert converge.returncode == 0, converge.stdout[-3000:] + converge.stderr[-2000:]
    reports = work / "reports"
    runs = [_run([str(Path(sys.executable).parent / "glustercheck-nightly"), "--spec", str(SPEC), "--reports",
                  str(reports), "--keep", "1", "--max-minutes", "10", "--", "-n", "4",
                  f"--prometheus-textfile={reports / 'glustercheck.prom'}"], timeout=900)
            for _ in range(2)]
    return {"reports": reports, "runs": runs}


def test_nightly_command_healthy_with_history_and_retention(nightly: dict) -> None:
    for run in nightly["runs"]:
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    second = nightly["runs"][1].stdout
    assert "HEALTHY" in second
    assert "since the previous run" in second
    reports: Path = nightly["reports"]
    assert len(list((reports / "history").glob("summary-*.json"))) == 1  # --keep 1
    assert len(list(reports.glob("nightly-*.html"))) == 1
    summary = json.loads((reports / "summary.json").read_text())
    assert summary["verdict"] == "healthy"
    assert summary["trend"]["first_run"] is False
    assert set(summary["nodes"]) == {"rpi0", "rpi1", "rpi2", "rpi3"}
    prom = (reports / "glustercheck.prom").read_text()
    assert "glustercheck_verdict 0" in prom
    assert 'node="rpi2"' in prom


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: run bin/bootstrap (it installs Debian's chromium)")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([CHROMIUM, *CHROME_FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=120, check=False)


def test_browser_renders_cluster_summary_before_the_table(nightly: dict) -> None:
    [report] = nightly["reports"].glob("nightly-*.html")
    dom = _chromium("--dump-dom", report.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    for element in ('id="gc-verdict"', "Cluster HEALTHY", 'id="gc-matrix"', 'id="gc-peers"',
                    'id="gc-volume-gv"', '<svg', 'id="gc-setup"', 'id="gc-trend"'):
        assert element in html, element
    assert html.count('class="brick online"') == 4
    assert html.index('id="gc-verdict"') < html.index('id="results-table"')
    assert 'class="results-table-row"' in html  # the test table was rendered by pytest-html's JS
    assert "BEGIN OPENSSH PRIVATE KEY" not in html
    png = report.with_suffix(".png")
    shot = _chromium(f"--screenshot={png}", "--window-size=1400,2000", report.as_uri())
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    keep = ROOT / "reports" / "e2e-nightly-report.png"  # for people to look at (git-ignored)
    shutil.copyfile(png, keep)
    shutil.copyfile(report, keep.with_suffix(".html"))
