"""Step 4, cluster-wide: every node in the trusted pool, connected, and known to the others by name.

The first node probes the others by name. A probed node records its prober under the connection's
source address (reverse-resolved), so once all are connected each node that knows the first only
by address probes it back by name.
"""

from __future__ import annotations

from glustercheck.actions import IN_CLUSTER, PeerProbe, PeersConnected, Plan, SetupError
from glustercheck.facts import NodeFacts
from glustercheck.parsers import Peer

from .context import Observed, StepContext

NAME = "peers"
NEEDS_CLUSTER = False


def plan(observed: Observed, ctx: StepContext) -> Plan:
    out = Plan()
    names = tuple(n.name for n in ctx.spec.nodes)
    first = names[0]
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


def _peers(facts: NodeFacts) -> tuple[Peer, ...]:
    if facts.peers is None:
        raise SetupError(f"{facts.node}: cannot read peer status: {facts.peers_error}")
    return facts.peers


def _connected(facts: NodeFacts, expected: int) -> bool:
    peers = facts.peers or ()
    return len(peers) == expected and all(p.state == IN_CLUSTER and p.connected for p in peers)
