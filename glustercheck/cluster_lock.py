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
    # The last run to take it says who it is: enough to tell a waiting operator who to look for.
    what = "converging (--apply)" if exclusive else "checking"
    note = f"echo {quote(f'{what}: {owner}')} > {LOCK_FILE}.owner; "
    return (f"mkdir -p /run/lock; exec 9>>{LOCK_FILE}; "
            f"if ! flock -n {mode} 9; then echo \"BUSY $(cat {LOCK_FILE}.owner 2>/dev/null)\"; "
            f"flock -w {wait:.0f} {mode} 9 || {{ echo TIMEOUT; exit 75; }}; fi; "
            f"{note}echo LOCKED; cat >/dev/null")


def acquire(conn: Connection, *, exclusive: bool, wait: float,
            on_wait: Callable[[str], None] = lambda holder: None) -> HeldLock:
    """Take the lock on `conn`'s node, waiting up to `wait` seconds for whoever holds it."""
    channel = conn.start(_script(exclusive, wait, owner_text()), timeout=HOLD_FOR)
    channel.settimeout(wait + 30)
    reader = channel.makefile("r")
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
    channel.close()
    kind = "converge (--apply)" if exclusive else "check"
    raise ClusterBusy(
        f"cluster busy: another run has held the cluster lock on {conn.name} ({LOCK_FILE}) for "
        f"more than {wait:.0f} s, so this run could not {kind}. An --apply holds it exclusively "
        f"while it changes the cluster; the lock ends with that run's SSH session, so if no such "
        f"run is going on, it ends by itself (see `sudo cat {LOCK_FILE}.owner` on {conn.name})")
