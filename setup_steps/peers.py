"""Step 4, cluster-wide: every node in the trusted pool, connected, and known to the others by name.

The first node probes the others by name. A probed node records its prober under the connection's
source address (reverse-resolved), so once all are connected each node that knows the first only
by address probes it back by name.

A pairing a probe left half-done (a node powered off mid-handshake) never finishes by itself, and
probing again answers "already in peer list": the side that hosts no volume yet rejoins afresh.
So does a node that came back knowing nobody while the others still hold it (pairings.forgotten).
glusterd is stopped on every node holding a record that ties it to the pool (other nodes learned
it from the prober), then those records are set aside and glusterd started again (stopping all
first: a glusterd still running would pass the old pairing back to one that has just forgotten
it, as seen in a drill), and the probe that follows pairs it anew.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from glustercheck.actions import (
    CLUSTER,
    GlusterdAnswers,
    PeerProbe,
    PeersConnected,
    Plan,
    SetAsideRecords,
    SetupError,
    StopGlusterd,
    all_in_cluster,
)
from glustercheck.facts import NodeFacts
from glustercheck.glusterd_store import HalfJoined
from glustercheck.pairings import can_rejoin, forgotten, half_joined_pairings, newcomer, rejoin
from glustercheck.parsers import Peer
from glustercheck.peer_nodes import PeerNodes
from glustercheck.spec import ClusterSpec

from .context import Observed, StepContext

NAME = "peers"
NEEDS_CLUSTER = False


def plan(observed: Observed, ctx: StepContext) -> Plan:
    out = Plan()
    names = tuple(n.name for n in ctx.spec.nodes)
    first = names[0]
    stuck = half_joined_pairings(ctx.spec, observed.nodes)
    if stuck:
        _undo(out, stuck, observed, ctx.spec)
        return out
    lost = forgotten(ctx.spec, observed.nodes)
    if lost:
        for node in lost:
            if can_rejoin(node, observed.nodes):
                _rejoin(out, node, observed.nodes, ctx.spec)
            else:
                out.error(CLUSTER, f"{node} knows no peer and keeps no peer record while the others "
                                   f"hold it in the pool; it hosts volumes: not rejoined automatically")
        return out
    silent = tuple(n for n in names if observed.nodes[n].glusterd_hung)
    if silent:
        # Silent past the facts' guard (facts.SLOW_GRACE): hung, or very busy (at 64 nodes the
        # first node's glusterd, just after probing 63 peers, under load 80, was silent past 5 s).
        # --apply waits for an answer (a hung one is named at the wait's deadline); a check-only
        # run reports it as it is.
        for node in silent:
            out.error(CLUSTER, f"{node}: cannot read peer status: {observed.nodes[node].peers_error}")
        out.waits.append(GlusterdAnswers(silent))
        return out
    if any(observed.nodes[n].peer_status_refused for n in names):
        # Mid-handshake, or stuck so (the wait restarts a glusterd that keeps refusing).
        out.waits.append(PeersConnected(names))
        return out
    whose = PeerNodes(ctx.spec, observed.nodes).of_peer
    known = {whose(peer) for peer in _peers(observed.nodes[first])}
    probes = [PeerProbe(first, n.name, names) for n in ctx.spec.nodes[1:] if n.name not in known]
    if probes:
        out.add(*probes)
        return out
    if not pool_whole(observed.nodes, names):
        out.waits.append(PeersConnected(names))
        return out
    first_uuid = observed.nodes[first].uuid
    for node in names[1:]:
        record = next((p for p in _peers(observed.nodes[node]) if p.uuid == first_uuid), None)
        if record is not None and first not in record.names:
            out.add(PeerProbe(node, first, names, back=True))
    if not out.actions:
        out.inspect("cluster", f"all {len(names)} nodes in the pool, connected, known by name")
    return out


def _undo(out: Plan, stuck: list[HalfJoined], observed: Observed, spec: ClusterSpec) -> None:
    """Every node of a half-done pairing that can rejoin afresh does; the others are errors."""
    nodes = observed.nodes
    comers = {p: newcomer(p, spec, nodes) for p in stuck}
    for node in dict.fromkeys(n for n in comers.values() if n is not None):
        _rejoin(out, node, nodes, spec)
    for pairing in (p for p, n in comers.items() if n is None):
        out.error(CLUSTER, f"{pairing.describe()} (a probe cut short); neither side can rejoin "
                           "afresh (each hosts volumes, or is the first node): not undone "
                           "automatically")


def _rejoin(out: Plan, node: str, nodes: Mapping[str, NodeFacts], spec: ClusterSpec) -> None:
    """Stop glusterd wherever a record ties `node` to the pool, set those records aside, start it
    again; the next round's probe pairs `node` anew."""
    held = rejoin(node, spec, nodes)
    out.add(*(StopGlusterd(n, node, nodes[n].systemd) for n in held))
    out.add(*(SetAsideRecords(n, node, records, nodes[n].systemd) for n, records in held.items()))


def _peers(facts: NodeFacts) -> tuple[Peer, ...]:
    if facts.peers is None:
        raise SetupError(f"{facts.node}: cannot read peer status: {facts.peers_error}")
    return facts.peers


def pool_whole(nodes: Mapping[str, NodeFacts], names: Sequence[str]) -> bool:
    """Every node's facts say all the others are 'Peer in Cluster (Connected)'."""
    return all(all_in_cluster(nodes[n].peers or (), len(names) - 1) for n in names)
