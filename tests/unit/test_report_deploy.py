"""The scheduling units verify with systemd-analyze; nightly usage errors exit 3 (cannot check)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _install(tmp_path: Path, *extra: str) -> Path:
    spec = tmp_path / "cluster.toml"
    spec.write_text("")
    dest = tmp_path / "units"
    dest.mkdir()
    subprocess.run([str(ROOT / "bin/install-nightly"), "--spec", str(spec), "--reports",
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
    assert f"--spec {tmp_path / 'cluster.toml'}" in Path(units[0]).read_text()


def test_cron_line(tmp_path: Path) -> None:
    cron = (_install(tmp_path, "--cron") / "glustercheck-nightly").read_text().splitlines()[-1]
    assert cron.startswith(f"30 3 * * * root {ROOT}/bin/glustercheck-nightly --spec ")
    assert "@" not in cron.replace("@REPO", "")


def _pytest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)


def test_nightly_refuses_apply_with_cannot_check_status() -> None:
    result = _pytest("--nightly", "--apply", "--hosts=rpi0")
    assert result.returncode == 3
    assert "refuses --apply" in result.stderr


def test_nagios_unknown_line_on_spec_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[nodes]]\nname = 1\n")
    result = _pytest("--nightly", "--nagios", f"--spec={bad}")
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.startswith("GLUSTER UNKNOWN - cannot check:")
