"""Which peer pairings of the declared nodes a probe left half-done, from glusterd's records, and
what rejoining the node that came in afresh takes.

Shared by the peers setup step (which does it) and the diagnosis (which names it as the fix), so
both judge from the same facts.
"""

from __future__ import annotations

from collections.abc import Mapping

from glustercheck.facts import NodeFacts
from glustercheck.glusterd_store import HalfJoined, half_joined
from glustercheck.peer_nodes import PeerNodes
from glustercheck.spec import ClusterSpec


def half_joined_pairings(spec: ClusterSpec, nodes: Mapping[str, NodeFacts]) -> list[HalfJoined]:
    """Each pairing once (by the pair of nodes), the holder's record as found."""
    found: dict[frozenset[str], HalfJoined] = {}
    whose = PeerNodes(spec, nodes).of_record
    for pairing in half_joined({n: f.peer_records for n, f in nodes.items()}, whose):
        if pairing.peer in nodes:
            found.setdefault(frozenset((pairing.holder, pairing.peer)), pairing)
    return list(found.values())


def newcomer(pairing: HalfJoined, spec: ClusterSpec, nodes: Mapping[str, NodeFacts]) -> str | None:
    """The side of a half-done pairing that can rejoin afresh: it knows no volume (so its records
    hold nothing a volume needs) and it is not the first node (the pool is probed from there).
    None: neither side qualifies; an operator decides."""
    first = spec.nodes[0].name
    return next((n for n in (pairing.peer, pairing.holder) if n != first and can_rejoin(n, nodes)),
                None)


def forgotten(spec: ClusterSpec, nodes: Mapping[str, NodeFacts]) -> list[str]:
    """Declared nodes that lost their side of the pool while the others kept theirs: glusterd on
    the node answers with no peer and keeps no peer record, and another node still holds it (as
    'Peer in Cluster (Disconnected)', or 'Peer Rejected' once it refuses them as strangers). Seen
    in a drill: rpi3 powered off as it took rpi0's probe came back knowing nobody. Probing again
    answers "already in peer list": like a half-done pairing, it must rejoin afresh. The first
    node is never one: the pool is probed from there."""
    whose = PeerNodes(spec, nodes).of_peer
    held = {whose(p) for n, f in nodes.items() for p in (f.peers or ())} - {None}
    return [n.name for n in spec.nodes[1:] if (f := nodes.get(n.name)) is not None
            and f.peers == () and not f.peer_records and n.name in held]


def can_rejoin(node: str, nodes: Mapping[str, NodeFacts]) -> bool:
    """It knows no volume: its records hold nothing a volume needs (see `newcomer`)."""
    return node in nodes and not nodes[node].store_volumes


Held = tuple[tuple[str, int, str], ...]  # (file, state, the node the record is about)


def rejoin(node: str, spec: ClusterSpec, nodes: Mapping[str, NodeFacts]) -> dict[str, Held]:
    """Every record that ties `node` to the pool (its own, and each other node's record of it),
    by the node holding it, in spec order."""
    peers = PeerNodes(spec, nodes)
    held: dict[str, Held] = {}
    for name in (n.name for n in spec.nodes):
        facts = nodes.get(name)
        if facts is None:
            continue
        # Another node's record of it is told by UUID or, for a probe cut short before the
        # UUIDs were exchanged, by name: glusterd then stores `peers/<hostname>` with a null
        # UUID (seen in a drill: rpi0's record `rpi3`, uuid 00000000-..., while rpi3 kept none).
        found: list[tuple[str, int, str]] = []
        for record in facts.peer_records:
            who = peers.of_record(record)
            if not record.is_tmp and record.state is not None and node in (name, who):
                found.append((record.file, record.state, who or record.uuid or record.file))
        if found:
            held[name] = tuple(found)
    return held
