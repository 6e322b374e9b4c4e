"""The cluster lock: held on the cluster itself, so two controllers (two operators, two laptops)
never converge it at once, and a check-only run never reads it half-converged.

The lock is `flock` on a file of the first node, taken by a command that then waits on its stdin
for as long as the controller keeps that SSH session open: when the controller ends, or dies, or
loses the node, sshd ends the session and the lock goes with it. There is no stale lock to clean.
`--apply` takes it exclusive; check-only runs take it shared (any number at once). Whoever waits
is told who holds it, from where and since when.
"""

from __future__ import annotations

import getpass
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from glustercheck.errors import GlusterCheckError
from glustercheck.remote.quoting import quote

if TYPE_CHECKING:
    import paramiko

    from glustercheck.remote import Connection

LOCK_FILE = "/run/lock/glustercheck-cluster.lock"  # tmpfs: gone at reboot, as a lock should be
HOLD_FOR = 6 * 3600.0  # the command's own timeout: longer than any run (the nightly is bounded)


class ClusterBusy(GlusterCheckError):
    """Another run holds the cluster lock (names who, where and since when)."""


@dataclass
class HeldLock:
    node: str
    exclusive: bool
    channel: paramiko.Channel | None

    def release(self) -> None:
        if self.channel is not None:
            self.channel.close()  # the holder sees EOF on its stdin and exits: flock is released
            self.channel = None


def owner_text() -> str:
    return (f"{getpass.getuser()}@{socket.gethostname()} pid {os.getpid()} "
            f"since {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")


def _script(exclusive: bool, wait: float, owner: str) -> str:
    mode = "-x" if exclusive else "-s"
    # The last run to take it says who it is: enough to tell a waiting operator who to look for
    # (best effort: another user's owner file may not be writable).
    what = "converging (--apply)" if exclusive else "checking"
    note = f"{{ echo {quote(f'{what}: {owner}')} > {LOCK_FILE}.owner; }} 2>/dev/null; "
    # Opened for reading: flock needs no more, and whoever runs it (root, or the --sudo-user of
    # this run or of another) can open a file another user created in /run/lock, which is sticky
    # and world-writable (an O_CREAT open there is refused by fs.protected_regular).
    return (f"mkdir -p /run/lock 2>/dev/null; [ -e {LOCK_FILE} ] || (umask 022; : >> {LOCK_FILE}); "
            f"exec 9< {LOCK_FILE} || exit 76; "
            f"if ! flock -n {mode} 9; then echo \"BUSY $(cat {LOCK_FILE}.owner 2>/dev/null)\"; "
            f"flock -w {wait:.0f} {mode} 9 || {{ echo TIMEOUT; exit 75; }}; fi; "
            f"{note}echo LOCKED; cat >/dev/null")


def _stderr_tail(channel: paramiko.Channel) -> str:
    try:
        raw: bytes | str = channel.makefile_stderr("r").read()
    except (TimeoutError, OSError, EOFError):
        return ""
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
    return " ".join(text.split())[-400:]


def acquire(conn: Connection, *, exclusive: bool, wait: float,
            on_wait: Callable[[str], None] = lambda holder: None) -> HeldLock:
    """Take the lock on `conn`'s node, waiting up to `wait` seconds for whoever holds it."""
    channel = conn.start(_script(exclusive, wait, owner_text()), timeout=HOLD_FOR)
    channel.settimeout(wait + 30)
    reader = channel.makefile("r")
    line = ""
    try:
        for raw in reader:
            line = raw.strip()
            if line == "LOCKED":
                return HeldLock(conn.name, exclusive, channel)
            if line.startswith("BUSY"):
                on_wait(line.removeprefix("BUSY").strip() or "another run (owner not recorded)")
            elif line == "TIMEOUT":
                break
    except (TimeoutError, OSError, EOFError) as exc:
        channel.close()
        raise ClusterBusy(f"{conn.name}: no answer while taking the cluster lock: {exc}") from exc
    if line != "TIMEOUT":  # it ended without taking the lock: say what the node said
        why = _stderr_tail(channel)
        channel.close()
        raise ClusterBusy(f"{conn.name}: could not take the cluster lock ({LOCK_FILE}): "
                          f"{why or 'the lock command ended without a word'}")
    channel.close()
    kind = "converge (--apply)" if exclusive else "check"
    raise ClusterBusy(
        f"cluster busy: another run has held the cluster lock on {conn.name} ({LOCK_FILE}) for "
        f"more than {wait:.0f} s, so this run could not {kind}. An --apply holds it exclusively "
        f"while it changes the cluster; the lock ends with that run's SSH session, so if no such "
        f"run is going on, it ends by itself (see `sudo cat {LOCK_FILE}.owner` on {conn.name})")


class PendingLock:
    """The lock asked for in the background, as soon as `connect` gives the node's connection:
    the lock's round trips then overlap the node's facts command instead of following it.
    `result` waits for it; `abandon` ends a request the run no longer needs."""

    def __init__(self, connect: Callable[[], Connection], *, exclusive: bool, wait: float) -> None:
        self._connect = connect
        self._exclusive = exclusive
        self._wait = wait
        self._holder: str | None = None
        self._news = threading.Event()  # a holder was named, or the request ended
        self._abandoned = threading.Event()
        self._outcome: HeldLock | BaseException | None = None
        self._thread = threading.Thread(target=self._take, name="cluster-lock", daemon=True)
        self._thread.start()

    def _take(self) -> None:
        try:
            conn = self._connect()
            if self._abandoned.is_set():
                raise ClusterBusy("the run ended before the cluster lock was asked for")
            self._outcome = acquire(conn, exclusive=self._exclusive, wait=self._wait,
                                    on_wait=self._told_holder)
        except BaseException as exc:  # handed to whoever waits in `result`
            self._outcome = exc
        finally:
            self._news.set()

    def _told_holder(self, holder: str) -> None:
        self._holder = holder
        self._news.set()

    def result(self, on_wait: Callable[[str], None] = lambda holder: None) -> HeldLock:
        """The held lock, once granted; `on_wait(holder)` first when another run held it. Raises
        what taking it raised (ClusterBusy, or the connection's RemoteError)."""
        self._news.wait()
        if self._holder is not None:
            on_wait(self._holder)
        self._thread.join()
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        assert self._outcome is not None
        return self._outcome

    def abandon(self, close_connections: Callable[[], None]) -> None:
        """End the request and release whatever it got: `close_connections` ends a wait for a
        busy lock (the node sees its session end); a lock granted meanwhile is released."""
        self._abandoned.set()
        if self._thread.is_alive():
            close_connections()
        self._thread.join()
        if isinstance(self._outcome, HeldLock):
            self._outcome.release()
