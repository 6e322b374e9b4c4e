"""Waiting on the trusted pool: every node's `peer status`, asked side by side every half second.

Three waits. `PeersConnected` (after probes): every node sees all the others 'Peer in Cluster
(Connected)'; a node that keeps a peer disconnected while that peer sees it connected has its
glusterd restarted (glusterd did not reconnect by itself after a power loss mid-handshake, seen for
over 60 s). `PoolSteady` (after glusterd refused a volume command over a peer the plan had seen in
the pool): every node's view unchanged for a while, so the next plan reads a pool that has stopped
moving (a node back from a power loss is detached, rejoined or re-handshaked within seconds).
`GlusterdAnswers`: glusterd answers `peer status` at all where the facts found it running but
silent (busy, or hung). At 64 nodes the first node's glusterd, just after probing 63 peers under
load 80, stayed silent past the facts' 5 s; a hung one never answers and is named at the deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from glustercheck.actions.record import CLUSTER, SetupError
from glustercheck.actions.waits import Remedies
from glustercheck.errors import CommandTimeout, ParseError
from glustercheck.facts import hung_glusterd_fix
from glustercheck.parsers import Peer, parse_peer_status_xml
from glustercheck.peer_nodes import PeerNodes
from glustercheck.remote import GlusterError, run_gluster

if TYPE_CHECKING:
    from glustercheck.run import GlusterRun
    from glustercheck.spec import ClusterSpec

PEER_TIMEOUT = 60.0
IN_CLUSTER = "Peer in Cluster"
# A disconnect only one side sees, lasting this long, is glusterd not reconnecting, not a peer
# still starting (a node's glusterd answers peers within seconds of its start).
NUDGE_AFTER = 20.0
# glusterd retries a lost peer connection every 3 s: a view unchanged for twice that has settled.
STEADY_FOR = 6.0
INTERVAL = 0.5
# One `peer status` of a wait: a healthy glusterd answers in well under a second; a hung one
# (SIGSTOPped) must not hold a poll for the connection's whole command timeout.
ASK_TIMEOUT = 10.0

Clock = Callable[[], float]
Sleep = Callable[[float], None]


def all_in_cluster(peers: Sequence[Peer], expected: int) -> bool:
    """A node's `peer status` is whole: `expected` peers, each 'Peer in Cluster (Connected)'."""
    return len(peers) == expected and all(p.state == IN_CLUSTER and p.connected for p in peers)


@dataclass(frozen=True)
class PoolView:
    peers: dict[str, tuple[Peer, ...]]  # node -> its `peer status`
    refused: dict[str, str]  # node -> the error its glusterd answered `peer status` with

    def whole(self, node: str) -> bool:
        peers = self.peers.get(node)
        return peers is not None and all_in_cluster(peers, len(self.peers) + len(self.refused) - 1)

    def signature(self) -> tuple[object, ...]:
        """What must stay the same for the pool to count as steady."""
        return (tuple(sorted((n, tuple(sorted((p.uuid, p.state, p.connected) for p in peers)))
                             for n, peers in self.peers.items())), tuple(sorted(self.refused)))


def pool_view(run: GlusterRun, nodes: Sequence[str]) -> PoolView:
    """Each node's `peer status`, asked side by side (at 64 nodes, one after the other cost
    seconds per round of a wait). A glusterd that answers with an error (mid-handshake: opRet
    -22) is noted, not fatal: the wait goes on, and names it at the end. A node out of reach, or
    a glusterd that does not answer at all, ends the wait at once with its own error: waiting
    cannot mend that, and the run must say so in bounded time."""
    def view(node: str) -> tuple[Peer, ...] | str:
        try:
            return tuple(parse_peer_status_xml(ask_peer_status(run, node)))
        except (GlusterError, ParseError) as exc:  # glusterd answered, with an error
            return str(exc)

    with ThreadPoolExecutor(max_workers=min(16, len(nodes)), thread_name_prefix="peers") as pool:
        answers = dict(zip(nodes, pool.map(view, nodes), strict=True))
    return PoolView({n: a for n, a in answers.items() if not isinstance(a, str)},
                    {n: a for n, a in answers.items() if isinstance(a, str)})


def _held(view: PoolView, spec: ClusterSpec) -> dict[str, dict[str, Peer]]:
    """node -> {the declared node each entry of its `peer status` stands for: that entry}."""
    whose = PeerNodes(spec).of_peer
    return {node: {whom: p for p in peers if (whom := whose(p)) is not None}
            for node, peers in view.peers.items()}


def one_sided_disconnects(view: PoolView, spec: ClusterSpec) -> list[tuple[str, str]]:
    """(node, peer): `node` holds `peer` in the pool, disconnected, while `peer` holds `node`
    connected. (Both sides disconnected is a peer down or unreachable: nothing to restart.)"""
    held = _held(view, spec)
    return [(node, peer) for node, entries in held.items() for peer, mine in entries.items()
            if mine.state == IN_CLUSTER and not mine.connected
            and (theirs := held.get(peer, {}).get(node)) is not None
            and theirs.state == IN_CLUSTER and theirs.connected]


def describe(view: PoolView, spec: ClusterSpec) -> str:
    """What each node that is not whole sees, for the error that ends a wait."""
    whose = PeerNodes(spec).of_peer

    def shown(peer: Peer) -> str:
        return (f"{whose(peer) or peer.hostname} '{peer.state}' "
                f"({'Connected' if peer.connected else 'Disconnected'})")

    everyone = {*view.peers, *view.refused}
    held = _held(view, spec)
    parts = [f"{node}: peer status failed: {why}" for node, why in view.refused.items()]
    for node, peers in view.peers.items():
        if view.whole(node):
            continue
        odd = [shown(p) for p in peers if not (p.state == IN_CLUSTER and p.connected)]
        missing = sorted(everyone - {node} - set(held[node]))
        parts.append(f"{node} sees " + ", ".join(
            [*odd, *(f"no {m}" for m in missing)] or [f"{len(peers)} peers"]))
    return "; ".join(parts) or "every node whole at the last look"


class Trouble(NamedTuple):
    """What a glusterd restart mends, on `node`; `key` stays the same while it lasts."""

    node: str
    key: str
    text: str


def _stuck(view: PoolView, spec: ClusterSpec) -> list[Trouble]:
    return [
        *(Trouble(node, f"disconnected:{peer}", f"it held {peer} 'Peer in Cluster (Disconnected)' "
                                                f"while {peer} saw it connected")
          for node, peer in one_sided_disconnects(view, spec)),
        *(Trouble(node, "refused", f"its `peer status` kept failing ({why})")
          for node, why in sorted(view.refused.items())),
    ]


@dataclass(frozen=True)
class PoolWait:
    """A wait on the trusted pool, asking `nodes`; what it notes goes under the cluster."""

    nodes: tuple[str, ...]

    @property
    def key(self) -> str:
        return CLUSTER


@dataclass(frozen=True)
class PeersConnected(PoolWait):
    purpose: str | None = None

    @property
    def what(self) -> str:
        return self.purpose or (f"every node sees {len(self.nodes) - 1} peers in "
                                f"'{IN_CLUSTER} (Connected)'")

    def wait(self, run: GlusterRun, remedies: Remedies, *, clock: Clock = time.monotonic,
             sleep: Sleep = time.sleep) -> str:
        """A node whose trouble glusterd does not mend by itself (`_stuck`) for NUDGE_AFTER
        seconds has its glusterd restarted (once per wait)."""
        started = clock()
        deadline = started + PEER_TIMEOUT
        since: dict[tuple[str, str], float] = {}  # (node, trouble's key) -> first seen
        restarted: set[str] = set()
        attempts = 0
        while True:
            attempts += 1
            view = pool_view(run, self.nodes)
            if all(view.whole(n) for n in self.nodes):
                nudged = f" (glusterd restarted on {', '.join(sorted(restarted))})" if restarted else ""
                return f"all peers connected after {clock() - started:.1f} s{nudged}"
            now = clock()
            troubles = _stuck(view, run.spec)
            since = {(t.node, t.key): since.get((t.node, t.key), now) for t in troubles}
            for trouble in troubles:
                lasted = now - since[(trouble.node, trouble.key)]
                if lasted >= NUDGE_AFTER and trouble.node not in restarted:
                    restarted.add(trouble.node)
                    remedies.restart_glusterd(trouble.node, f"{trouble.text}, for {lasted:.0f} s")
                    deadline = max(deadline, clock() + PEER_TIMEOUT / 2)
            if clock() > deadline:
                raise SetupError(f"{self.what}: still not true after {clock() - started:.0f} s "
                                 f"({attempts} attempts): {describe(view, run.spec)}")
            sleep(INTERVAL)


@dataclass(frozen=True)
class PoolSteady(PoolWait):
    @property
    def what(self) -> str:
        return f"every node's peer list stays the same for {STEADY_FOR:g} s"

    def wait(self, run: GlusterRun, remedies: Remedies, *, clock: Clock = time.monotonic,
             sleep: Sleep = time.sleep) -> str:
        started = clock()
        last: tuple[object, ...] | None = None
        since = started
        while True:
            view = pool_view(run, self.nodes)
            now = clock()
            if view.signature() != last:
                last, since = view.signature(), now
            elif now - since >= STEADY_FOR:
                return f"the pool stopped changing {since - started:.1f} s into the wait"
            if now - started > PEER_TIMEOUT:
                raise SetupError(f"{self.what}: it still changed after {PEER_TIMEOUT:g} s: "
                                 f"{describe(view, run.spec)}")
            sleep(INTERVAL)


@dataclass(frozen=True)
class GlusterdAnswers(PoolWait):
    @property
    def what(self) -> str:
        return f"glusterd answers `gluster peer status` on {', '.join(self.nodes)}"

    def wait(self, run: GlusterRun, remedies: Remedies, *, clock: Clock = time.monotonic,
             sleep: Sleep = time.sleep) -> str:
        """Each node asked (one after another: they are few) until it answers anything, even an
        error (the next plan deals with that); only silence, ASK_TIMEOUT long, is waited out."""
        started = clock()
        silent = list(self.nodes)
        attempts = 0
        while True:
            attempts += 1
            silent = [n for n in silent if not _answers(run, n)]
            if not silent:
                return f"glusterd answered on {', '.join(self.nodes)} after {clock() - started:.1f} s"
            if clock() - started > PEER_TIMEOUT:
                node = silent[0]
                raise SetupError(
                    f"{', '.join(silent)}: glusterd runs but does not answer: `gluster peer status` "
                    f"got no answer within {ASK_TIMEOUT:g} s, {attempts} times over "
                    f"{clock() - started:.0f} s; fix: {hung_glusterd_fix(node)}")
            sleep(INTERVAL)


def ask_peer_status(run: GlusterRun, node: str) -> str:
    """`node`'s `gluster --xml peer status`, as every wait here asks it (ASK_TIMEOUT bounds it)."""
    return run_gluster(run.connection(node), ["--xml", "peer", "status"], write=False,
                       timeout=ASK_TIMEOUT).stdout


def _answers(run: GlusterRun, node: str) -> bool:
    try:
        ask_peer_status(run, node)
    except CommandTimeout:
        return False
    except GlusterError:
        pass  # an answer, if an error
    return True
