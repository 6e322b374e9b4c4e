"""The cluster lock's remote script, run for real by sh on this machine (as root and as an
unprivileged user, as a --sudo-user run would): whoever created the lock file, another user can
take the lock; a second exclusive taker is told who holds it."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from glustercheck import cluster_lock

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="runs the script as another user")


@pytest.fixture
def lock_file(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # Like /run/lock: world-writable and sticky, and reachable by other users (pytest's own
    # temporary directories are not).
    with tempfile.TemporaryDirectory(prefix="glustercheck-lock-", dir="/tmp") as name:
        sticky = Path(name)
        sticky.chmod(0o1777)
        path = sticky / "glustercheck-cluster.lock"
        monkeypatch.setattr(cluster_lock, "LOCK_FILE", str(path))
        yield path


def _take(exclusive: bool, *, user: str | None = None, wait: float = 0,
          hold: bool = False) -> subprocess.Popen[str]:
    script = cluster_lock._script(exclusive, wait, "tester@here pid 1").replace(
        "mkdir -p /run/lock", "true")
    argv = ["sh", "-c", script]
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups", *argv]
    return subprocess.Popen(argv, stdin=subprocess.PIPE if hold else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_lock_file_root_made_can_be_taken_by_another_user(lock_file: Path) -> None:
    first = _take(True)
    assert first.communicate(timeout=10)[0].strip() == "LOCKED"
    assert lock_file.stat().st_uid == 0
    other = _take(False, user="nobody")
    out, err = other.communicate(timeout=10)
    assert (out.strip(), other.returncode) == ("LOCKED", 0), err


def test_a_second_exclusive_taker_is_told_who_holds_it(lock_file: Path) -> None:
    holder = _take(True, hold=True)
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "LOCKED"
    try:
        waiting = _take(True, wait=1)
        out, _ = waiting.communicate(timeout=10)
        assert out.splitlines() == ["BUSY converging (--apply): tester@here pid 1", "TIMEOUT"]
        assert waiting.returncode == 75
    finally:
        holder.communicate(input="", timeout=10)
