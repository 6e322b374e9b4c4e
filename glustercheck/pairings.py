"""Which peer pairings of the declared nodes a probe left half-done, from glusterd's records, and
what rejoining the node that came in afresh takes.

Shared by the peers setup step (which does it) and the diagnosis (which names it as the fix), so
both judge from the same facts.
"""

from __future__ import annotations

from collections.abc import Mapping

from glustercheck.facts import NodeFacts
from glustercheck.glusterd_store import HalfJoined, half_joined, owner
from glustercheck.spec import ClusterSpec


def _index(spec: ClusterSpec, nodes: Mapping[str, NodeFacts]) -> tuple[dict[str, str], dict[str, str]]:
    """What tells a record's node: glusterd UUID -> node, and name or address -> node."""
    uuids = {f.uuid: n for n, f in nodes.items() if f.uuid}
    names = {n.name: n.name for n in spec.nodes} | {n.address: n.name for n in spec.nodes if n.address}
    return uuids, names


def half_joined_pairings(spec: ClusterSpec, nodes: Mapping[str, NodeFacts]) -> list[HalfJoined]:
    """Each pairing once (by the pair of nodes), the holder's record as found."""
    found: dict[frozenset[str], HalfJoined] = {}
    for pairing in half_joined({n: f.peer_records for n, f in nodes.items()}, *_index(spec, nodes)):
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
    uuids, names = _index(spec, nodes)
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
            who = owner(record, uuids, names)
            if not record.is_tmp and record.state is not None and node in (name, who):
                found.append((record.file, record.state, who or record.uuid or record.file))
        if found:
            held[name] = tuple(found)
    return held
