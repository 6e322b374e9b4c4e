"""peer status, pool list and --version: full values from the vectors, and the error messages."""

import pytest

from glustercheck.errors import ParseError
from glustercheck.parsers import (
    GlusterError,
    Peer,
    PoolEntry,
    parse_gluster_version,
    parse_peer_status,
    parse_peer_status_xml,
    parse_pool_list,
)
from tests.unit.test_parsers_vectors import vector

RPI0 = "5a1c0f2e-7b3d-4c9a-9e61-0d2f4b8a1c00"
RPI1 = "8e2b6d4f-1a9c-4e7b-b3d5-6f0a2c4e8b11"
RPI2 = "c3d9a7e1-5f2b-4a8d-9c6e-2b4d6f8a0c22"
RPI3 = "f7e5c3a1-9b8d-4f6e-a2c4-e6a8b0d2f433"
IN_CLUSTER = "Peer in Cluster"


@pytest.mark.parametrize("suffix", [".txt", ".xml"])
def test_10_3_peer_known_by_ip_keeps_its_name_under_other_names(suffix: str) -> None:
    assert vector("10.3", "peer-status" + suffix) == [
        Peer(RPI1, "10.0.1.1", ("rpi1",), IN_CLUSTER, True),
        Peer(RPI2, "rpi2", (), IN_CLUSTER, True),
        Peer(RPI3, "10.0.1.3", (), IN_CLUSTER, False),
    ]


@pytest.mark.parametrize("suffix", [".txt", ".xml"])
def test_11_x_name_becomes_primary_and_ip_moves_to_other_names(suffix: str) -> None:
    peers = vector("11.0", "peer-status" + suffix)
    assert peers == [
        Peer(RPI1, "rpi1", ("10.0.1.1",), IN_CLUSTER, True),
        Peer(RPI2, "rpi2", (), IN_CLUSTER, True),
        Peer(RPI3, "rpi3", ("10.0.1.3", "rpi3.lan"), "Peer Rejected", True),
    ]
    assert peers[2].names == ("rpi3", "10.0.1.3", "rpi3.lan")


@pytest.mark.parametrize("suffix", [".txt", ".xml"])
def test_3_7_prober_is_known_by_ip_until_probed_back(suffix: str) -> None:
    before = vector("3.7", "peer-status" + suffix)
    after = vector("3.7", "peer-status-probed-back" + suffix)
    assert before[0] == Peer(RPI0, "10.0.1.0", (), IN_CLUSTER, True)
    assert after[0] == Peer(RPI0, "10.0.1.0", ("rpi0",), IN_CLUSTER, True)
    assert [p.connected for p in after] == [True, False, True]


def test_pool_list_with_trailing_spaces_and_localhost_last() -> None:
    assert vector("10.3", "pool-list.txt") == [
        PoolEntry(RPI1, "10.0.1.1", True),
        PoolEntry(RPI2, "rpi2", True),
        PoolEntry(RPI3, "10.0.1.3", False),
        PoolEntry(RPI0, "localhost", True),
    ]


def test_no_peers() -> None:
    assert parse_peer_status("Number of Peers: 0\n") == []
    assert parse_peer_status("peer status: No peers present\n") == []
    no_peers_xml = (
        '<?xml version="1.0"?><cliOutput><opRet>0</opRet><opErrno>0</opErrno>'
        "<opErrstr>peer status: No peers present</opErrstr><peerStatus/></cliOutput>"
    )
    assert parse_peer_status_xml(no_peers_xml) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("glusterfs 10.3\nRepository revision: git://git.gluster.org/glusterfs.git\n", (10, 3)),
        ("glusterfs 3.7.20 built on Jan 30 2017 12:00:00\n", (3, 7)),
        ("glusterfs 11.1\n", (11, 1)),
        ("glusterfs 11dev\n", (11, 0)),
    ],
)
def test_version(text: str, expected: tuple[int, int]) -> None:
    assert parse_gluster_version(text) == expected


@pytest.mark.parametrize(
    ("version", "expected"), [("3.7", (3, 7)), ("3.8", (3, 8)), ("10.3", (10, 3)), ("11.0", (11, 0))]
)
def test_version_vectors(version: str, expected: tuple[int, int]) -> None:
    assert vector(version, "version.txt") == expected


def test_version_errors_name_the_command() -> None:
    with pytest.raises(ParseError, match=r"gluster --version: line 1: expected 'glusterfs MAJOR.MINOR'"):
        parse_gluster_version("")
    with pytest.raises(ParseError, match=r"supported version"):
        parse_gluster_version("glusterfs 2.0\n")


def test_dead_glusterd_message_is_a_gluster_error() -> None:
    message = "Connection failed. Please check if gluster daemon is operational."
    with pytest.raises(GlusterError) as caught:
        parse_peer_status(message + "\n")
    assert caught.value.message == message
    assert "gluster peer status: line 1: expected 'Number of Peers: N'" in str(caught.value)
    with pytest.raises(GlusterError, match="gluster daemon is operational"):
        parse_peer_status_xml(message + "\n")  # CLI errors stay plain text in XML mode


def test_truncated_peer_status_names_the_line() -> None:
    text = f"Number of Peers: 2\n\nHostname: rpi1\nUuid: {RPI1}\nState: Peer in Cluster (Connected)\n"
    text += "\nHostname: rpi2\n"
    with pytest.raises(
        ParseError, match=r"gluster peer status: line 8: expected 'Uuid: UUID', got end of output"
    ):
        parse_peer_status(text)
    with pytest.raises(ParseError, match=r"line 5: expected 'State: STATE \(Connected\|Disconnected\)'"):
        parse_peer_status(f"Number of Peers: 1\n\nHostname: rpi1\nUuid: {RPI1}\nState: Peer in Cluster\n")


def test_xml_errors_name_the_element() -> None:
    text = (
        "<cliOutput><opRet>0</opRet><peerStatus><peer><uuid>u</uuid><hostname>h</hostname>"
        "<connected>yes</connected><stateStr>Peer in Cluster</stateStr></peer></peerStatus></cliOutput>"
    )
    with pytest.raises(
        ParseError, match=r"XML element <cliOutput/peerStatus/peer\[1\]/connected>: expected 0 or 1"
    ):
        parse_peer_status_xml(text)
    with pytest.raises(
        ParseError, match=r"gluster --xml peer status: XML line 1, column \d+: expected well-formed"
    ):
        parse_peer_status_xml("<cliOutput><opRet>0</opRet>")
    failed = "<cliOutput><opRet>-1</opRet><opErrno>107</opErrno><opErrstr>peer status: failed</opErrstr>"
    failed += "</cliOutput>"
    with pytest.raises(GlusterError, match="peer status: failed"):
        parse_peer_status_xml(failed)


def test_xml_entities_and_dtds_are_refused() -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><cliOutput><opRet>&a;</opRet></cliOutput>'
    with pytest.raises(ParseError, match="expected plain gluster XML"):
        parse_peer_status_xml(bomb)


def test_pool_list_rejects_a_broken_row() -> None:
    with pytest.raises(
        ParseError, match=r"gluster pool list: line 2: expected 'UUID<tab>HOSTNAME<tab>Connected"
    ):
        parse_pool_list(f"UUID\t\t\t\t\tHostname\tState\n{RPI0}\tlocalhost\tMaybe \n")
    with pytest.raises(ParseError, match=r"line 2: expected a row per node"):
        parse_pool_list("UUID\t\t\t\t\tHostname\tState\n")
