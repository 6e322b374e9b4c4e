"""The checks' assertions, naively: one testinfra call (one remote command) per assertion."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from naive_cluster import ADDRESSES, BRICK_PATH, NAMES, VOLUME

FIRST = NAMES[0]
REPLICA = int(VOLUME.get("replica", 2))
GV = VOLUME["name"]
ENABLED_LINK = "/etc/systemd/system/multi-user.target.wants/glusterd.service"


# ----- names -------------------------------------------------------------------------------

@pytest.mark.parametrize("peer", NAMES)
def test_name_resolves_to_its_address(host: Any, peer: str) -> None:
    assert host.addr(peer).ipv4_addresses == [ADDRESSES[peer]]


def test_own_name_is_not_loopback(host: Any, name: str) -> None:
    assert not any(a.startswith("127.") for a in host.addr(name).ipv4_addresses)


# ----- reachability ------------------------------------------------------------------------

@pytest.mark.parametrize("peer", NAMES)
def test_peer_answers_ping(host: Any, name: str, peer: str) -> None:
    if peer == name:
        pytest.skip("itself")
    assert host.addr(peer).is_reachable


@pytest.mark.parametrize("peer", NAMES)
def test_peer_glusterd_port_open(host: Any, name: str, peer: str) -> None:
    if peer == name:
        pytest.skip("itself")
    assert host.addr(peer).port(24007).is_reachable


# ----- daemon ------------------------------------------------------------------------------

def test_glusterfs_server_installed(host: Any) -> None:
    assert host.package("glusterfs-server").is_installed


def test_glusterd_running(host: Any) -> None:
    # host.service("glusterd").is_running on a real Pi; these nodes run no systemd as PID 1.
    assert host.process.filter(comm="glusterd")


def test_glusterd_enabled_at_boot(host: Any) -> None:
    assert host.file(ENABLED_LINK).is_symlink


def test_same_gluster_version_as_first_node(host: Any, hosts: dict[str, Any]) -> None:
    mine = host.check_output("gluster --version | head -1")
    assert mine == hosts[FIRST].check_output("gluster --version | head -1")


def test_same_op_version_as_first_node(host: Any, hosts: dict[str, Any]) -> None:
    command = "gluster volume get all cluster.op-version | tail -1"
    assert host.check_output(command) == hosts[FIRST].check_output(command)


# ----- peers -------------------------------------------------------------------------------

def _peer_block(status: str, peer: str) -> str:
    for block in status.split("\n\n"):
        names = re.findall(r"^Hostname: (\S+)", block, re.M) + re.findall(r"^\s+(\S+)$", block, re.M)
        if peer in names or ADDRESSES[peer] in names:
            return block
    return ""


@pytest.mark.parametrize("peer", NAMES)
def test_peer_in_cluster_and_connected(host: Any, name: str, peer: str) -> None:
    if peer == name:
        pytest.skip("itself")
    block = _peer_block(host.check_output("gluster peer status"), peer)
    assert "State: Peer in Cluster (Connected)" in block


@pytest.mark.parametrize("peer", NAMES)
def test_peer_known_by_hostname(host: Any, name: str, peer: str) -> None:
    if peer == name:
        pytest.skip("itself")
    block = _peer_block(host.check_output("gluster peer status"), peer)
    assert re.search(rf"^(Hostname: |\s+){re.escape(peer)}$", block, re.M)


def test_uuid_seen_alike_from_first_node(host: Any, name: str, hosts: dict[str, Any]) -> None:
    if name == FIRST:
        pytest.skip("the first node")
    mine = host.check_output("sed -n 's/^UUID=//p' /var/lib/glusterd/glusterd.info")
    assert f"Uuid: {mine}" in hosts[FIRST].check_output("gluster peer status")


# ----- bricks and capacity -----------------------------------------------------------------

def test_brick_on_its_own_disk(host: Any) -> None:
    assert host.check_output(f"findmnt -n -o TARGET -T {BRICK_PATH}") != "/"


def test_brick_space_below_80_percent(host: Any) -> None:
    assert int(host.check_output(f"df --output=pcent {BRICK_PATH} | tail -1").strip(" %")) < 80


def test_brick_inodes_below_80_percent(host: Any) -> None:
    assert int(host.check_output(f"df --output=ipcent {BRICK_PATH} | tail -1").strip(" %")) < 80


# ----- the volume (asked of the first node) ------------------------------------------------

@pytest.fixture
def first(name: str) -> None:
    if name != FIRST:
        pytest.skip("volume checks run on the first node")


def _info(host: Any) -> str:
    return str(host.check_output(f"gluster volume info {GV}"))


@pytest.mark.usefixtures("first")
def test_volume_started(host: Any) -> None:
    assert "Status: Started" in _info(host)


@pytest.mark.usefixtures("first")
def test_volume_type(host: Any) -> None:
    expected = "Replicate" if len(NAMES) == REPLICA else "Distributed-Replicate"
    assert f"Type: {expected}\n" in _info(host)


@pytest.mark.usefixtures("first")
def test_number_of_bricks(host: Any) -> None:
    sets = len(NAMES) // REPLICA
    shown = f"1 x {REPLICA} = {len(NAMES)}" if sets == 1 else f"{sets} x {REPLICA} = {len(NAMES)}"
    assert f"Number of Bricks: {shown}" in _info(host)


@pytest.mark.usefixtures("first")
def test_brick_order(host: Any) -> None:
    assert re.findall(r"^Brick\d+: (\S+)", _info(host), re.M) == [f"{n}:{BRICK_PATH}" for n in NAMES]


@pytest.mark.usefixtures("first")
def test_replica_sets_on_distinct_servers(host: Any) -> None:
    bricks = re.findall(r"^Brick\d+: ([^:]+):", _info(host), re.M)
    sets = [bricks[i:i + REPLICA] for i in range(0, len(bricks), REPLICA)]
    assert all(len(set(s)) == len(s) for s in sets)


@pytest.mark.usefixtures("first")
@pytest.mark.parametrize("node", NAMES)
def test_brick_online(host: Any, node: str) -> None:
    line = host.check_output(f"gluster volume status {GV} {node}:{BRICK_PATH} | grep '^Brick'")
    assert line.split()[-2] == "Y"


@pytest.mark.usefixtures("first")
@pytest.mark.parametrize("node", NAMES)
def test_self_heal_daemon_online(host: Any, node: str) -> None:
    status = host.check_output(f"gluster volume status {GV} shd")
    lines = [ln for ln in status.splitlines()
             if ln.startswith("Self-heal Daemon on ") and ln.split()[3] in (node, "localhost")]
    here = "localhost" if node == FIRST else node
    assert any(ln.split()[3] == here and ln.split()[-2] == "Y" for ln in lines)


@pytest.mark.usefixtures("first")
def test_no_pending_heal(host: Any) -> None:
    counts = re.findall(r"^Number of entries: (\d+)", host.check_output(f"gluster volume heal {GV} info"),
                        re.M)
    assert counts
    assert all(c == "0" for c in counts)


@pytest.mark.usefixtures("first")
def test_no_split_brain(host: Any) -> None:
    out = host.check_output(f"gluster volume heal {GV} info split-brain")
    counts = re.findall(r"^Number of entries in split-brain: (\d+)", out, re.M)
    assert counts
    assert all(c == "0" for c in counts)


# ----- the data path -----------------------------------------------------------------------

@pytest.fixture
def mounted(first: None, hosts: dict[str, Any]) -> Iterator[tuple[Any, Any, str]]:
    writer, reader = hosts[NAMES[0]], hosts[NAMES[1]]
    path = f"/mnt/naive-{uuid.uuid4().hex[:8]}"
    for h, n in ((writer, NAMES[0]), (reader, NAMES[1])):
        h.run_expect([0], f"mkdir -p {path} && mount -t glusterfs {n}:/{GV} {path}")
    yield writer, reader, path
    for h in (writer, reader):
        h.run(f"umount {path} && rmdir {path}")


def test_written_on_one_node_reads_back_on_another(mounted: tuple[Any, Any, str],
                                                   hosts: dict[str, Any]) -> None:
    writer, reader, path = mounted
    name = f"naive-{uuid.uuid4().hex[:12]}"
    written = writer.check_output(f"head -c 65536 /dev/urandom > {path}/{name} && sync && "
                                  f"sha256sum {path}/{name}").split()[0]
    try:
        assert reader.check_output(f"sha256sum {path}/{name}").split()[0] == written
        holders = [n for n in NAMES if hosts[n].file(f"{BRICK_PATH}/{name}").exists]
        groups = [NAMES[i:i + REPLICA] for i in range(0, len(NAMES), REPLICA)]
        assert holders in groups
    finally:
        writer.run(f"rm -f {path}/{name}")
