"""What must become true after a batch of actions, and waiting for it with a deadline.

Waits poll the one thing they wait for (`peer status`, `volume status`), not whole node facts:
they run every half second, and the planners read fresh facts once the wait is over.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from glustercheck.actions.record import CLUSTER, SetupError, volume_key
from glustercheck.facts import volume_online
from glustercheck.parsers import parse_peer_status_xml, parse_volume_info_xml, parse_volume_status_xml
from glustercheck.remote import run_gluster

if TYPE_CHECKING:
    from glustercheck.run import GlusterRun

PEER_TIMEOUT = 60.0
BRICKS_ONLINE_TIMEOUT = 120.0
IN_CLUSTER = "Peer in Cluster"


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


class Settle(Protocol):
    """A condition to wait for; hashable, so a batch waits for each distinct one once."""

    @property
    def key(self) -> str: ...

    @property
    def what(self) -> str:
        """What is waited for, in words (for progress lines)."""
        ...

    def wait(self, run: GlusterRun) -> str:
        """Wait until true (raise SetupError after the deadline); returns a note for the report."""
        ...


@dataclass(frozen=True)
class PeersConnected:
    nodes: tuple[str, ...]
    purpose: str | None = None

    @property
    def key(self) -> str:
        return CLUSTER

    @property
    def what(self) -> str:
        return self.purpose or (f"every node sees {len(self.nodes) - 1} peers in "
                                f"'{IN_CLUSTER} (Connected)'")

    def wait(self, run: GlusterRun) -> str:
        took = wait_until(lambda: all_connected(run, self.nodes), timeout=PEER_TIMEOUT,
                          what=self.what)
        return f"all peers connected after {took:.1f} s"


def all_connected(run: GlusterRun, nodes: tuple[str, ...]) -> bool:
    """Every node sees all the others in the pool, connected: asked side by side (at 64 nodes,
    one after the other cost seconds per round of the wait)."""
    def connected(node: str) -> bool:
        out = run_gluster(run.connection(node), ["--xml", "peer", "status"], write=False).stdout
        peers = parse_peer_status_xml(out)
        return len(peers) == len(nodes) - 1 and all(
            p.state == IN_CLUSTER and p.connected for p in peers)

    with ThreadPoolExecutor(max_workers=min(16, len(nodes)), thread_name_prefix="peers") as pool:
        return all(pool.map(connected, nodes))


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

    def wait(self, run: GlusterRun) -> str:
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
