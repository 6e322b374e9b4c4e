"""What must become true after a batch of actions, and waiting for it with a deadline.

Waits poll the one thing they wait for (`peer status`, `volume status`), not whole node facts:
they run every half second, and the planners read fresh facts once the wait is over. The waits on
the trusted pool are in pool_waits.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from glustercheck.actions.record import SetupError, volume_key
from glustercheck.facts import volume_online
from glustercheck.parsers import parse_volume_info_xml, parse_volume_status_xml
from glustercheck.remote import run_gluster

if TYPE_CHECKING:
    from glustercheck.run import GlusterRun

BRICKS_ONLINE_TIMEOUT = 120.0


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str,
               interval: float = 0.5) -> float:
    """Poll with a deadline; returns the seconds it took, raises SetupError naming `what`."""
    started = time.monotonic()
    attempts = 0
    while True:
        attempts += 1
        if predicate():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise SetupError(f"{what}: still not true after {timeout:g} s ({attempts} attempts)")
        time.sleep(interval)


class Remedies(Protocol):
    """What a wait may do besides waiting (the executor runs it, and records it as a change)."""

    def restart_glusterd(self, node: str, why: str) -> None: ...


class Settle(Protocol):
    """A condition to wait for; hashable, so a batch waits for each distinct one once."""

    @property
    def key(self) -> str: ...

    @property
    def what(self) -> str:
        """What is waited for, in words (for progress lines)."""
        ...

    def wait(self, run: GlusterRun, remedies: Remedies) -> str:
        """Wait until true (raise SetupError after the deadline); returns a note for the report."""
        ...


@dataclass(frozen=True)
class BricksOnline:
    node: str  # the node asked
    volume: str

    @property
    def key(self) -> str:
        return volume_key(self.volume)

    @property
    def what(self) -> str:
        return f"every brick and self-heal daemon of {self.volume} is online"

    def wait(self, run: GlusterRun, remedies: Remedies) -> str:
        took = wait_until(lambda: bricks_online(run, self.node, self.volume),
                          timeout=BRICKS_ONLINE_TIMEOUT, what=self.what)
        return f"all bricks and self-heal daemons online {took:.1f} s after start"


def bricks_online(run: GlusterRun, node: str, volume: str) -> bool:
    conn = run.connection(node)
    info = {v.name: v for v in parse_volume_info_xml(
        run_gluster(conn, ["--xml", "volume", "info", volume], write=False).stdout)}[volume]
    statuses = parse_volume_status_xml(
        run_gluster(conn, ["--xml", "volume", "status", volume], write=False).stdout)
    return volume_online(info, next((s for s in statuses if s.volume == volume), None))
