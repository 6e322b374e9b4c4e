"""Which peer pairings of the declared nodes a probe left half-done, from glusterd's records.

Shared by the peers setup step (which undoes them) and the diagnosis (which names them), so both
judge from the same facts.
"""

from __future__ import annotations

from collections.abc import Mapping

from glustercheck.facts import NodeFacts
from glustercheck.glusterd_store import HalfJoined, half_joined
from glustercheck.spec import ClusterSpec


def half_joined_pairings(spec: ClusterSpec, nodes: Mapping[str, NodeFacts]) -> list[HalfJoined]:
    """Each pairing once (by the pair of nodes), the holder's record as found."""
    uuids = {f.uuid: n for n, f in nodes.items() if f.uuid}
    names = {n.name: n.name for n in spec.nodes} | {n.address: n.name for n in spec.nodes if n.address}
    found: dict[frozenset[str], HalfJoined] = {}
    for pairing in half_joined({n: f.peer_records for n, f in nodes.items()}, uuids, names):
        if pairing.peer in nodes:
            found.setdefault(frozenset((pairing.holder, pairing.peer)), pairing)
    return list(found.values())
