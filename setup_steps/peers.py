"""Step 4, cluster-wide: every node in the trusted pool, connected, and known to the others by name.

The first node probes the others by name. A probed node records its prober under the connection's
source address (reverse-resolved), so once all are connected each node that knows the first only
by address probes it back by name.

A pairing a probe left half-done (a node powered off mid-handshake) never finishes by itself, and
probing again answers "already in peer list": both sides' records of each other are set aside
first, when one side hosts no volume yet (its records hold nothing a volume needs), so the probe
that follows pairs them afresh.
"""

from __future__ import annotations

from glustercheck.actions import (
    CLUSTER,
    IN_CLUSTER,
    PeerProbe,
    PeersConnected,
    Plan,
    ResetPairing,
    SetupError,
)
from glustercheck.facts import NodeFacts
from glustercheck.glusterd_store import HalfJoined, record_of
from glustercheck.pairings import half_joined_pairings
from glustercheck.parsers import Peer

from .context import Observed, StepContext

NAME = "peers"
NEEDS_CLUSTER = False


def plan(observed: Observed, ctx: StepContext) -> Plan:
    out = Plan()
    names = tuple(n.name for n in ctx.spec.nodes)
    first = names[0]
    stuck = half_joined_pairings(ctx.spec, observed.nodes)
    if stuck:
        _undo(out, stuck, observed)
        return out
    peers_of_first = _peers(observed.nodes[first])
    known = {name for peer in peers_of_first for name in peer.names}
    probes = [PeerProbe(first, n.name, names) for n in ctx.spec.nodes[1:]
              if n.name not in known and not (n.address and n.address in known)]
    if probes:
        out.add(*probes)
        return out
    if not all(_connected(observed.nodes[n], len(names) - 1) for n in names):
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


def _undo(out: Plan, stuck: list[HalfJoined], observed: Observed) -> None:
    """Both sides' records of each half-joined pairing, when one side knows no volume."""
    for pairing in stuck:
        holder, peer = observed.nodes[pairing.holder], observed.nodes[pairing.peer]
        if holder.store_volumes and peer.store_volumes:
            out.error(CLUSTER, f"{pairing.describe()} (a probe cut short), and both know volumes "
                               f"({', '.join(holder.store_volumes)}): not undone automatically")
            continue
        back = record_of(peer.peer_records, holder.uuid)
        for side, other, record in ((holder, peer, pairing.record), (peer, holder, back)):
            if record is not None:
                out.add(ResetPairing(side.node, other.node, record.file, record.state_name,
                                     side.systemd))
    out.actions[:] = list(dict.fromkeys(out.actions))  # a pairing stuck on both sides: once


def _peers(facts: NodeFacts) -> tuple[Peer, ...]:
    if facts.peers is None:
        raise SetupError(f"{facts.node}: cannot read peer status: {facts.peers_error}")
    return facts.peers


def _connected(facts: NodeFacts, expected: int) -> bool:
    peers = facts.peers or ()
    return len(peers) == expected and all(p.state == IN_CLUSTER and p.connected for p in peers)
