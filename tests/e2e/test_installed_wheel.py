"""The wheel as a user installs it: the checks and setup steps ship as packages of their own, with
the pytest entry point. Running it (converge, check, a user's own tests, their SSH setup) is in
test_user_login.py, on the same installation (the session's `installed` fixture)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Installed

pytestmark = pytest.mark.e2e


def test_wheel_carries_the_checks_and_steps_not_the_checkout(installed: Installed) -> None:
    site = next((installed.venv / "lib").glob("python3*/site-packages"))
    for package in ("glustercheck", "pytest_glustercheck", "glustercheck_checks",
                    "glustercheck_setup_steps"):
        assert (site / package / "__init__.py").exists(), package
    assert not (site / "checks").exists()
    assert not (site / "setup_steps").exists()
    entry_points = next(site.glob("gluster_verify-*.dist-info")) / "entry_points.txt"
    assert "glustercheck = pytest_glustercheck.plugin" in entry_points.read_text()

