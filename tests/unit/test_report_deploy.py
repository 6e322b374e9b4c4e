"""The scheduling units verify with systemd-analyze; nightly usage errors exit 3 (cannot check)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the installed console scripts, not the checkout


def _install(tmp_path: Path, *extra: str) -> Path:
    spec = tmp_path / "cluster.toml"
    spec.write_text("")
    dest = tmp_path / "units"
    dest.mkdir()
    subprocess.run([str(BIN / "glustercheck-install-nightly"), "--spec", str(spec), "--reports",
                    str(tmp_path / "reports"), "--dest", str(dest), "--no-enable", *extra],
                   check=True, timeout=30, capture_output=True)
    return dest


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    dest = _install(tmp_path)
    units = [str(dest / "glustercheck-nightly.service"), str(dest / "glustercheck-nightly.timer")]
    result = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    service = Path(units[0]).read_text()
    assert f"--spec {tmp_path / 'cluster.toml'}" in service
    assert f"ExecStart={BIN}/glustercheck-nightly " in service


def test_cron_line(tmp_path: Path) -> None:
    cron = (_install(tmp_path, "--cron") / "glustercheck-nightly").read_text().splitlines()[-1]
    assert cron.startswith(f"30 3 * * * root {BIN}/glustercheck-nightly --spec ")
    assert "@" not in cron.replace("@REPO", "")


def _pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # in a temporary directory: a cannot-check summary.json goes to <cwd>/reports, not the checkout
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def test_nightly_refuses_apply_with_cannot_check_status(tmp_path: Path) -> None:
    result = _pytest(tmp_path, "--nightly", "--apply", "--hosts=rpi0")
    assert result.returncode == 3
    assert "refuses --apply" in result.stderr


def test_nagios_unknown_line_on_spec_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[nodes]]\nname = 1\n")
    result = _pytest(tmp_path, "--nightly", "--nagios", f"--spec={bad}")
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.startswith("GLUSTER UNKNOWN - cannot check:")


def test_nightly_command_usage_errors_are_cannot_check(tmp_path: Path) -> None:
    missing = subprocess.run([str(BIN / "glustercheck-nightly"), "--spec", str(tmp_path / "none.toml")],
                             capture_output=True, text=True, timeout=30, check=False)
    assert missing.returncode == 3, missing.stderr
    assert "is not a readable file" in missing.stderr
    unknown = subprocess.run([str(BIN / "glustercheck-nightly"), "--bogus"], capture_output=True,
                             text=True, timeout=30, check=False)
    assert unknown.returncode == 3, unknown.stderr
    assert "unrecognized arguments: --bogus" in unknown.stderr or "required" in unknown.stderr
