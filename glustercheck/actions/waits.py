"""What must become true after a batch of actions, and waiting for it with a deadline.

Waits poll the one thing they wait for (`peer status`, `volume status`), not whole node facts:
they run every half second, and the planners read fresh facts once the wait is over.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from glustercheck.actions.record import CLUSTER, SetupError, volume_key
from glustercheck.facts import volume_online
from glustercheck.parsers import Peer, parse_peer_status_xml, parse_volume_info_xml, parse_volume_status_xml
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


class Remedies(Protocol):
    """What a wait may do besides waiting (the executor runs it, and records it as a change)."""

    def restart_glusterd(self, node: str, peer: str, seconds: float) -> None: ...


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


# A disconnect only one side sees, lasting this long, is glusterd not reconnecting, not a peer
# still starting (a node's glusterd answers peers within seconds of its start).
NUDGE_AFTER = 20.0


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

    def wait(self, run: GlusterRun, remedies: Remedies, *,
             clock: Callable[[], float] = time.monotonic,
             sleep: Callable[[float], None] = time.sleep) -> str:
        """Polls every half second. A node that holds a peer disconnected while that peer sees it
        connected, for NUDGE_AFTER seconds, has its glusterd restarted (once per wait)."""
        aliases = {n.name: {n.name, *([n.address] if n.address else [])} for n in run.spec.nodes
                   if n.name in self.nodes}
        started = clock()
        deadline = started + PEER_TIMEOUT
        since: dict[tuple[str, str], float] = {}
        restarted: set[str] = set()
        attempts = 0
        while True:
            attempts += 1
            views = pool_views(run, self.nodes)
            if all(_whole(views[n], len(self.nodes) - 1) for n in self.nodes):
                nudged = f" (glusterd restarted on {', '.join(sorted(restarted))})" if restarted else ""
                return f"all peers connected after {clock() - started:.1f} s{nudged}"
            now = clock()
            since = {pair: since.get(pair, now) for pair in one_sided_disconnects(views, aliases)}
            for (node, peer), first in since.items():
                if now - first >= NUDGE_AFTER and node not in restarted:
                    restarted.add(node)
                    remedies.restart_glusterd(node, peer, now - first)
                    deadline = max(deadline, clock() + PEER_TIMEOUT / 2)
            if clock() > deadline:
                raise SetupError(f"{self.what}: still not true after {clock() - started:.0f} s "
                                 f"({attempts} attempts): {describe_pool(views, aliases)}")
            sleep(0.5)


def pool_views(run: GlusterRun, nodes: tuple[str, ...]) -> dict[str, tuple[Peer, ...]]:
    """Each node's `peer status`, asked side by side (at 64 nodes, one after the other cost
    seconds per round of the wait)."""
    def view(node: str) -> tuple[Peer, ...]:
        out = run_gluster(run.connection(node), ["--xml", "peer", "status"], write=False).stdout
        return tuple(parse_peer_status_xml(out))

    with ThreadPoolExecutor(max_workers=min(16, len(nodes)), thread_name_prefix="peers") as pool:
        return dict(zip(nodes, pool.map(view, nodes), strict=True))


def _whole(peers: Sequence[Peer], expected: int) -> bool:
    return len(peers) == expected and all(p.state == IN_CLUSTER and p.connected for p in peers)


def _entry(views: Mapping[str, Sequence[Peer]], node: str, names: set[str]) -> Peer | None:
    return next((p for p in views.get(node, ()) if names.intersection(p.names)), None)


def one_sided_disconnects(views: Mapping[str, Sequence[Peer]],
                          aliases: Mapping[str, set[str]]) -> list[tuple[str, str]]:
    """(node, peer): `node` holds `peer` in the pool, disconnected, while `peer` holds `node`
    connected. (Both sides disconnected is a peer down or unreachable: nothing to restart.)"""
    found = []
    for node in views:
        for peer in (p for p in views if p != node and p in aliases):
            mine, theirs = _entry(views, node, aliases[peer]), _entry(views, peer, aliases[node])
            if (mine is not None and theirs is not None and mine.state == IN_CLUSTER
                    and not mine.connected and theirs.state == IN_CLUSTER and theirs.connected):
                found.append((node, peer))
    return found


def describe_pool(views: Mapping[str, Sequence[Peer]], aliases: Mapping[str, set[str]]) -> str:
    """What each node that is not yet whole sees, for the error that ends a wait."""
    def shown(peer: Peer) -> str:
        name = next((n for n, names in aliases.items() if names.intersection(peer.names)),
                    peer.hostname)
        return f"{name} '{peer.state}' ({'Connected' if peer.connected else 'Disconnected'})"

    parts = []
    for node, peers in views.items():
        if _whole(peers, len(views) - 1):
            continue
        odd = [shown(p) for p in peers if not (p.state == IN_CLUSTER and p.connected)]
        missing = sorted(set(aliases) - {node} - {
            n for n, names in aliases.items() for p in peers if names.intersection(p.names)})
        parts.append(f"{node} sees " + ", ".join(
            [*odd, *(f"no {m}" for m in missing)] or [f"{len(peers)} peers"]))
    return "; ".join(parts) or "every node whole at the last look"


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
