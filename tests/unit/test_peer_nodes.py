"""One rule for which declared node a peer stands for (glustercheck/peer_nodes.py), used alike by
the peers check, the diagnosis, the half-done pairings and the pool waits."""

from __future__ import annotations

import dataclasses

from glustercheck.glusterd_store import PeerRecord
from glustercheck.parsers import Peer
from glustercheck.peer_nodes import PeerNodes
from tests.unit.test_setup_steps import CONVERGED, SPEC

NULL_UUID = "00000000-0000-0000-0000-000000000000"


def _peer(uuid: str, hostname: str, *other: str) -> Peer:
    return Peer(hostname=hostname, uuid=uuid, state="Peer in Cluster", connected=True, other_names=other)


def test_the_uuid_a_node_told_wins_over_any_name() -> None:
    rpi2 = CONVERGED["rpi2"].uuid
    assert rpi2 is not None
    # Its names say rpi1, but the UUID is the one rpi2 told of itself: the entry is rpi2.
    assert PeerNodes(SPEC, CONVERGED).of_peer(_peer(rpi2, "rpi1")) == "rpi2"


def test_without_a_known_uuid_any_name_or_address_tells_in_any_case() -> None:
    peers = PeerNodes(SPEC)  # no facts: names and addresses only
    address = SPEC.node("rpi3").address
    assert address is not None
    assert peers.of_peer(_peer("u-1", "10.9.9.9", "RPI1")) == "rpi1"   # an other name, any case
    assert peers.of_peer(_peer("u-2", address)) == "rpi3"              # the declared address
    assert peers.of_peer(_peer("u-3", "mystery", "10.9.9.9")) is None


def test_a_record_cut_short_with_a_null_uuid_is_told_by_name() -> None:
    record = PeerRecord("rpi3", 70, NULL_UUID, 1, ("rpi3",))
    assert PeerNodes(SPEC, CONVERGED).of_record(record) == "rpi3"


def test_a_node_that_told_no_uuid_is_found_by_name() -> None:
    nodes = dict(CONVERGED, rpi1=dataclasses.replace(CONVERGED["rpi1"], uuid=None))
    assert PeerNodes(SPEC, nodes).of_peer(_peer("not-told", "rpi1")) == "rpi1"
