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
    return next((n for n in (pairing.peer, pairing.holder)
                 if n != first and n in nodes and not nodes[n].store_volumes), None)


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
