"""Which declared node a peer stands for, in `peer status` or in glusterd's peer records.

One rule for every reader (the peers check, the diagnosis, the half-done pairings, the pool waits):
the glusterd UUID a node told of itself; else any name or address the peer carries that names a
declared node, read as a brick host is read (ClusterSpec.node_for_host: the name in any case, or
the address). A record cut short before the UUIDs were exchanged carries a null UUID and is told
by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from glustercheck.facts import NodeFacts
from glustercheck.glusterd_store import PeerRecord
from glustercheck.parsers import Peer
from glustercheck.spec import ClusterSpec


class PeerNodes:
    """`nodes`: the facts that told each node's UUID (none: by names and addresses only)."""

    def __init__(self, spec: ClusterSpec, nodes: Mapping[str, NodeFacts] | None = None) -> None:
        self._spec = spec
        self._uuids = {f.uuid: n for n, f in (nodes or {}).items() if f.uuid}

    def of(self, uuid: str | None, names: Iterable[str]) -> str | None:
        if uuid and uuid in self._uuids:
            return self._uuids[uuid]
        return next((node.name for name in names if (node := self._spec.node_for_host(name))), None)

    def of_peer(self, peer: Peer) -> str | None:
        return self.of(peer.uuid, peer.names)

    def of_record(self, record: PeerRecord) -> str | None:
        return self.of(record.uuid, record.hostnames)
