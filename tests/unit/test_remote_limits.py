"""One kept SSH connection per host: the open-file limit is raised before connecting, or the run
stops at once saying what to change (never "Too many open files" in some random check)."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest

from glustercheck.errors import RemoteError
from glustercheck.remote import ensure_open_files
from glustercheck.remote import limits as limits_module

INF = resource.RLIM_INFINITY


class Limits:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, soft: int, hard: int) -> None:
        self.value = (soft, hard)
        self.set_calls: list[tuple[int, int]] = []
        monkeypatch.setattr(limits_module.resource, "getrlimit", lambda which: self.value)
        monkeypatch.setattr(limits_module.resource, "setrlimit", self._set)

    def _set(self, which: int, value: tuple[int, int]) -> None:
        assert which == resource.RLIMIT_NOFILE
        self.set_calls.append(value)
        self.value = value


def test_enough_already_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = Limits(monkeypatch, 1024, 4096)
    ensure_open_files(4)
    assert limits.set_calls == []


def test_soft_limit_raised_within_the_hard_one(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = Limits(monkeypatch, 1024, 524288)  # systemd's default for services
    ensure_open_files(1024)
    assert limits.set_calls == [(2 * 1024 + 256, 524288)]


def test_unlimited_hard_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = Limits(monkeypatch, 1024, INF)
    ensure_open_files(500)
    assert limits.set_calls == [(1256, INF)]


def test_too_low_hard_limit_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = Limits(monkeypatch, 1000, 1000)
    with pytest.raises(RemoteError) as caught:
        ensure_open_files(1024)
    assert "1024 hosts" in str(caught.value)
    assert "only 1000 (`ulimit -Hn`)" in str(caught.value)
    assert "LimitNOFILE=" in str(caught.value)
    assert limits.set_calls == []


def test_pytest_stops_with_a_usage_error_before_connecting() -> None:
    # A real process with a low hard limit: 1,024 hosts need more; nothing is collected or run.
    code = ("import resource, sys, pytest; resource.setrlimit(resource.RLIMIT_NOFILE, (900, 900)); "
            "sys.exit(pytest.main(['-p', 'no:cacheprovider', '--hosts=node[0000-1023]', "
            "'--collect-only', '-q']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "may open only 900" in result.stderr
