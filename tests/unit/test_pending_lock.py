"""The cluster lock asked for in the background (PendingLock), against its real remote script run
by sh on this machine: a connection whose commands are local processes stands in for SSH."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from glustercheck import cluster_lock
from glustercheck.errors import UnreachableError

pytestmark = pytest.mark.timeout(30)


class LocalChannel:
    """What acquire reads of a paramiko channel, over a local process."""

    def __init__(self, command: str) -> None:
        self.proc = subprocess.Popen(["sh", "-c", command], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     start_new_session=True)

    def settimeout(self, _: float) -> None:
        return None

    def makefile(self, _: str) -> IO[str]:
        assert self.proc.stdout is not None
        return self.proc.stdout

    def makefile_stderr(self, _: str) -> IO[str]:
        assert self.proc.stderr is not None
        return self.proc.stderr

    def close(self) -> None:  # as sshd does when the session ends: the command sees EOF
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=10)


class LocalConnection:
    name = "rpi0"

    def __init__(self) -> None:
        self.channels: list[LocalChannel] = []

    def start(self, command: str, **_: Any) -> LocalChannel:
        self.channels.append(LocalChannel(command.replace("mkdir -p /run/lock", "true")))
        return self.channels[-1]

    def close(self) -> None:  # the transport closing ends every session on it
        for channel in self.channels:  # as sshd hangs up on the session: its whole group
            os.killpg(channel.proc.pid, signal.SIGKILL)


@pytest.fixture
def lock_file(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="glustercheck-lock-") as name:
        path = Path(name) / "glustercheck-cluster.lock"
        monkeypatch.setattr(cluster_lock, "LOCK_FILE", str(path))
        yield path


def held_elsewhere() -> LocalChannel:
    holder = LocalConnection().start(cluster_lock._script(True, 0, "tester@there pid 7"))
    assert holder.makefile("r").readline().strip() == "LOCKED"
    return holder


def test_a_busy_lock_names_its_holder_first_then_is_granted_when_freed(lock_file: Path) -> None:
    holder = held_elsewhere()
    conn = LocalConnection()
    pending = cluster_lock.PendingLock(lambda: conn, exclusive=False, wait=20)  # type: ignore[arg-type, return-value]
    told: list[str] = []

    def on_wait(who: str) -> None:
        told.append(who)
        holder.close()  # the other run ends: its lock goes with its session

    held = pending.result(on_wait=on_wait)
    assert told == ["converging (--apply): tester@there pid 7"]
    assert (held.node, held.exclusive) == ("rpi0", False)
    held.release()
    assert conn.channels[0].proc.returncode == 0


def test_an_unreachable_node_is_the_error_result_raises(lock_file: Path) -> None:
    def connect() -> LocalConnection:
        raise UnreachableError("rpi0 (10.0.1.0:22) unreachable: no answer within 5 s")

    pending = cluster_lock.PendingLock(connect, exclusive=False, wait=20)  # type: ignore[arg-type]
    with pytest.raises(UnreachableError, match=r"rpi0 .* unreachable"):
        pending.result()


def test_abandoned_while_waiting_for_a_busy_lock_it_ends_at_once_holding_nothing(
        lock_file: Path) -> None:
    holder = held_elsewhere()
    conn = LocalConnection()
    pending = cluster_lock.PendingLock(lambda: conn, exclusive=True, wait=600)  # type: ignore[arg-type, return-value]
    try:
        assert pending._news.wait(10)  # the node said who holds it: the command waits in flock
        pending.abandon(conn.close)  # would wait 600 s for the holder without the close
        assert conn.channels[0].proc.poll() is not None
        with pytest.raises(cluster_lock.ClusterBusy):
            pending.result()
    finally:
        holder.close()


def test_a_lock_granted_but_never_waited_for_is_released_when_abandoned(lock_file: Path) -> None:
    conn = LocalConnection()
    pending = cluster_lock.PendingLock(lambda: conn, exclusive=True, wait=20)  # type: ignore[arg-type, return-value]
    assert pending._news.wait(10)  # the request ended: granted (nobody else holds it)
    assert conn.channels[0].proc.poll() is None  # held: flock waits on its stdin
    pending.abandon(lambda: None)
    assert conn.channels[0].proc.wait(timeout=10) == 0  # told EOF: flock released
    again = LocalConnection().start(cluster_lock._script(True, 0, "next run"))
    assert again.makefile("r").readline().strip() == "LOCKED"
    again.close()
