"""Which peer pairings of the declared nodes a probe left half-done, from glusterd's records, and
what rejoining the node that came in afresh takes.

Shared by the peers setup step (which does it) and the diagnosis (which names it as the fix), so
both judge from the same facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from glustercheck.facts import NodeFacts
from glustercheck.glusterd_store import HalfJoined, PeerRecord, half_joined, record_of
from glustercheck.spec import ClusterSpec


def _names(spec: ClusterSpec) -> dict[str, str]:
    return {n.name: n.name for n in spec.nodes} | {n.address: n.name for n in spec.nodes if n.address}


def half_joined_pairings(spec: ClusterSpec, nodes: Mapping[str, NodeFacts]) -> list[HalfJoined]:
    """Each pairing once (by the pair of nodes), the holder's record as found."""
    uuids = {f.uuid: n for n, f in nodes.items() if f.uuid}
    found: dict[frozenset[str], HalfJoined] = {}
    for pairing in half_joined({n: f.peer_records for n, f in nodes.items()}, uuids, _names(spec)):
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


@dataclass(frozen=True)
class Rejoin:
    """Every record that ties `node` to the pool, by the node holding it."""

    node: str
    records: dict[str, Held]


def rejoin(node: str, spec: ClusterSpec, nodes: Mapping[str, NodeFacts]) -> Rejoin:
    uuids = {f.uuid: n for n, f in nodes.items() if f.uuid}
    names = _names(spec)

    def whose(record: PeerRecord) -> str:
        return uuids.get(record.uuid or "") or next(
            (names[h] for h in record.hostnames if h in names), record.uuid or record.file)

    held: dict[str, Held] = {}
    own = tuple((r.file, r.state, whose(r)) for r in nodes[node].peer_records
                if not r.is_tmp and r.state is not None)
    for name in (n.name for n in spec.nodes):
        if name == node:
            if own:
                held[name] = own
            continue
        facts = nodes.get(name)
        record = record_of(facts.peer_records, nodes[node].uuid) if facts else None
        if record is not None and record.state is not None:
            held[name] = ((record.file, record.state, node),)
    return Rejoin(node, held)
